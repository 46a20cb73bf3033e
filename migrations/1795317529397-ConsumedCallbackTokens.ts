import { MigrationInterface, QueryRunner } from 'typeorm';

export class ConsumedCallbackTokens1795317529397 implements MigrationInterface {
  name = 'ConsumedCallbackTokens1795317529397';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "consumed_callback_tokens" (
                "jti" character varying(64) NOT NULL,
                "purpose" character varying(16) NOT NULL,
                "subject_hash" character varying(64),
                "consumed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_a29222d7aa59008a2b726af6ba3" PRIMARY KEY ("jti")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_consumed_callback_tokens_subject_hash" ON "consumed_callback_tokens" ("subject_hash")
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_consumed_callback_tokens_expires_at" ON "consumed_callback_tokens" ("expires_at")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."idx_consumed_callback_tokens_expires_at"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_consumed_callback_tokens_subject_hash"
        `);
    await queryRunner.query(`
            DROP TABLE "consumed_callback_tokens"
        `);
  }
}
