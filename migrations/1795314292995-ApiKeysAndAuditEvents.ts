import { MigrationInterface, QueryRunner } from 'typeorm';

export class ApiKeysAndAuditEvents1795314292995 implements MigrationInterface {
  name = 'ApiKeysAndAuditEvents1795314292995';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "api_keys" (
                "id" uuid NOT NULL,
                "name" character varying(100) NOT NULL,
                "prefix" character varying(32) NOT NULL,
                "secret_hash" character(64) NOT NULL,
                "tier" character varying(16) NOT NULL,
                "channel" character varying(64),
                "rotated_from_id" uuid,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "expires_at" TIMESTAMP WITH TIME ZONE,
                "revoked_at" TIMESTAMP WITH TIME ZONE,
                "last_used_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "chk_api_keys_tier" CHECK ("tier" IN ('internal', 'kernel', 'public')),
                CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_api_keys_prefix" ON "api_keys" ("prefix")
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_api_keys_secret_hash" ON "api_keys" ("secret_hash")
        `);
    await queryRunner.query(`
            CREATE TABLE "audit_events" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "action" character varying(64) NOT NULL,
                "actor_key_id" uuid,
                "subject_hash" character varying(64),
                "record_count" integer NOT NULL DEFAULT '0',
                "request_id" character varying(128),
                "details" jsonb,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_910f64d901a5c3e9878f0d4a407" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_audit_events_subject_hash" ON "audit_events" ("subject_hash")
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_audit_events_action_created_at" ON "audit_events" ("action", "created_at")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."idx_audit_events_action_created_at"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_audit_events_subject_hash"
        `);
    await queryRunner.query(`
            DROP TABLE "audit_events"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."uq_api_keys_secret_hash"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."uq_api_keys_prefix"
        `);
    await queryRunner.query(`
            DROP TABLE "api_keys"
        `);
  }
}
