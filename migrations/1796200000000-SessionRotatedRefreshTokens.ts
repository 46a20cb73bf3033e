import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The hashes of the refresh tokens each session rotated away: reuse detection counts only tokens the session
 * actually issued, so knowing a session id is not enough to end it (docs/sessions.md "Rotation").
 */
export class SessionRotatedRefreshTokens1796200000000 implements MigrationInterface {
  name = 'SessionRotatedRefreshTokens1796200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "session_rotated_refresh_tokens" (
                "session_id" uuid NOT NULL,
                "refresh_hash" character varying(64) NOT NULL,
                "rotated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_session_rotated_refresh_tokens" PRIMARY KEY ("session_id", "refresh_hash")
            )
        `);
    await queryRunner.query(`
            ALTER TABLE "session_rotated_refresh_tokens"
            ADD CONSTRAINT "fk_session_rotated_refresh_tokens_session_id" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    // Sessions opened before this table have no history: their previous token still counts as reuse.
    await queryRunner.query(`
            INSERT INTO "session_rotated_refresh_tokens" ("session_id", "refresh_hash", "rotated_at")
            SELECT "id", "previous_refresh_hash", coalesce("rotated_at", now()) FROM "sessions"
             WHERE "previous_refresh_hash" IS NOT NULL
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "session_rotated_refresh_tokens" DROP CONSTRAINT "fk_session_rotated_refresh_tokens_session_id"
        `);
    await queryRunner.query(`
            DROP TABLE "session_rotated_refresh_tokens"
        `);
  }
}
