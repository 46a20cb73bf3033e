import { MigrationInterface, QueryRunner } from 'typeorm';

export class GvpDeviceLinks1796161875559 implements MigrationInterface {
  name = 'GvpDeviceLinks1796161875559';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "gvp_device_links" (
                "channel" character varying(64) NOT NULL,
                "device_id" character varying(128) NOT NULL,
                "aura_id" character varying(128) NOT NULL,
                "subscriber_hash" character varying(64) NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_f89df0802393450cf5b8fa7436b" PRIMARY KEY ("channel", "device_id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_gvp_device_links_aura_id" ON "gvp_device_links" ("aura_id")
        `);
    await queryRunner.query(`
            ALTER TABLE "gvp_device_links"
            ADD CONSTRAINT "fk_gvp_device_links_user" FOREIGN KEY ("aura_id") REFERENCES "aura_users"("aura_id") ON DELETE CASCADE ON UPDATE CASCADE
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "gvp_device_links" DROP CONSTRAINT "fk_gvp_device_links_user"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_gvp_device_links_aura_id"
        `);
    await queryRunner.query(`
            DROP TABLE "gvp_device_links"
        `);
  }
}
