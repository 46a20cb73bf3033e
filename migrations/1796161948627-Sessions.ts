import { MigrationInterface, QueryRunner } from 'typeorm';

export class Sessions1796161948627 implements MigrationInterface {
  name = 'Sessions1796161948627';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "sessions" (
                "id" uuid NOT NULL,
                "aura_id" character varying(128) NOT NULL,
                "audience" character varying(32) NOT NULL,
                "refresh_hash" character varying(64) NOT NULL,
                "previous_refresh_hash" character varying(64),
                "rotated_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "last_used_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "revoked" boolean NOT NULL DEFAULT false,
                "revoked_at" TIMESTAMP WITH TIME ZONE,
                "user_agent" character varying(512),
                CONSTRAINT "PK_3238ef96f18b355b671619111bc" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_sessions_aura_id" ON "sessions" ("aura_id")
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_sessions_expires_at" ON "sessions" ("expires_at")
        `);
    await queryRunner.query(`
            ALTER TABLE "sessions"
            ADD CONSTRAINT "fk_sessions_aura_id" FOREIGN KEY ("aura_id") REFERENCES "aura_users"("aura_id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "sessions" DROP CONSTRAINT "fk_sessions_aura_id"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_sessions_expires_at"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_sessions_aura_id"
        `);
    await queryRunner.query(`
            DROP TABLE "sessions"
        `);
  }
}
