import { IsString, Length } from 'class-validator';

/**
 * What GET /config tells the web client.
 */
export class ClientConfigSettings {
  /** Name of the Azure Storage subdomain returned by GET /config. */
  @IsString()
  @Length(0, 255)
  AZURE_STORAGE_SUBDOMAIN = '';
}
