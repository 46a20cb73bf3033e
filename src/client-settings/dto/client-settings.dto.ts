import { ApiProperty } from '@nestjs/swagger';

export class ClientConfigResponseDto {
  @ApiProperty({
    description: 'Name of the Azure Storage subdomain the channels load assets from.',
    example: 'auraassetspro',
  })
  storageSubdomain: string;
}
