import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every end of a live session is announced on the invalidation channel (docs/revocation.md), in the transaction
 * that ends it, by the database itself: a revocation (`revoked` set) and a deletion of a session that was not
 * revoked — above all the cascade from its user record (logout of the user, GDPR erasure, the expiry sweep),
 * which no service code sees. The payload is the one `Invalidations.publish` sends (kind `session`, the session
 * id, the epoch milliseconds of the database clock).
 */
export class SessionRevocationNotices1796173113820 implements MigrationInterface {
  name = 'SessionRevocationNotices1796173113820';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE FUNCTION "sessions_announce_end"() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              PERFORM pg_notify('aura_auth_invalidation', json_build_object(
                'k', 'session', 'i', OLD.id, 't', floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint)::text);
              RETURN NULL;
            END
            $$
        `);
    await queryRunner.query(`
            CREATE TRIGGER "sessions_revoked" AFTER UPDATE OF "revoked" ON "sessions"
            FOR EACH ROW WHEN (NEW."revoked" AND NOT OLD."revoked") EXECUTE FUNCTION "sessions_announce_end"()
        `);
    await queryRunner.query(`
            CREATE TRIGGER "sessions_deleted" AFTER DELETE ON "sessions"
            FOR EACH ROW WHEN (NOT OLD."revoked" AND OLD."expires_at" > now()) EXECUTE FUNCTION "sessions_announce_end"()
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "sessions_deleted" ON "sessions"`);
    await queryRunner.query(`DROP TRIGGER "sessions_revoked" ON "sessions"`);
    await queryRunner.query(`DROP FUNCTION "sessions_announce_end"()`);
  }
}
