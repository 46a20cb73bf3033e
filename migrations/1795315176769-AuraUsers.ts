import { MigrationInterface, QueryRunner } from 'typeorm';

export class AuraUsers1795315176769 implements MigrationInterface {
  name = 'AuraUsers1795315176769';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "aura_users" (
                "aura_id" character varying(128) NOT NULL,
                "aura_id_global" character varying(128) NOT NULL,
                "user_id" character varying(128) NOT NULL,
                "channel" character varying(64) NOT NULL,
                "user_type" character varying(16) NOT NULL,
                "subscription_type" character varying(16),
                "phone_number" character varying(16),
                "authorization_id" character varying(256),
                "authentication_context" jsonb,
                "device_id" character varying(128),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "uq_aura_users_channel_user_authorization" UNIQUE ("channel", "user_id", "authorization_id"),
                CONSTRAINT "chk_aura_users_authentication_context_size" CHECK (
                    octet_length("authentication_context"::text) <= 8192
                ),
                CONSTRAINT "chk_aura_users_subscription_type" CHECK (
                    "subscription_type" IS NULL
                    OR "subscription_type" IN ('postpaid', 'prepaid', 'hybrid', 'control')
                ),
                CONSTRAINT "chk_aura_users_user_type" CHECK ("user_type" IN ('authenticated', 'identifiable')),
                CONSTRAINT "PK_d046cd96288f46575130c8c8bff" PRIMARY KEY ("aura_id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_aura_users_phone_number" ON "aura_users" ("phone_number")
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_aura_users_expires_at" ON "aura_users" ("expires_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_aura_users_global_channel_created" ON "aura_users" ("aura_id_global", "channel", "created_at")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."idx_aura_users_global_channel_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_aura_users_expires_at"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_aura_users_phone_number"
        `);
    await queryRunner.query(`
            DROP TABLE "aura_users"
        `);
  }
}
