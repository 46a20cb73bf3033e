import { Controller, Delete, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AdminService, PHONE_NUMBER_PARAM } from 'src/admin/admin.service';
import { ErasureResponseDto } from 'src/admin/dto/erasure.dto';
import { Authenticated } from 'src/auth/authenticated.decorator';
import { Caller } from 'src/auth/caller';
import { RequestId } from 'src/common/http/request-id.decorator';
import { Tier } from 'src/auth/tier';
import { ApiProblem } from 'src/common/http/api-problem.decorator';

@ApiTags('Admin')
@Controller('admin')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Delete('users/phone-numbers/:phone_number')
  @ApiProblem(
    403,
    'Refused: wrong tier for this route, or a key bound to a channel (an erasure reaches every channel).',
    ['api_key_tier_forbidden', 'api_key_channel_forbidden'],
  )
  @Authenticated({ tiers: [Tier.Kernel] })
  @ApiOperation({
    summary: 'GDPR: erase every user record of a phone number, in every channel.',
    description:
      'For OB administrators removing people who are no longer customers. The number is normalised to E.164 ' +
      '(national numbers are read in PHONE_DEFAULT_REGION), erased in one transaction and audited as a keyed hash. ' +
      'Idempotent: a repeated call answers `{"deleted": 0}`.',
  })
  @ApiParam({
    name: PHONE_NUMBER_PARAM,
    description:
      'Phone number: E.164 (`+34600000000`), with 00 prefix, or national in the default region; URL-encoded.',
    example: '+34600000000',
  })
  @ApiOkResponse({ description: 'How many records were erased.', type: ErasureResponseDto })
  @ApiProblem(400, 'Not a valid phone number; `errors` names `phone_number` (never its value).', ['validation_failed'])
  deleteUsersByPhoneNumber(
    @Param(PHONE_NUMBER_PARAM) phoneNumber: string,
    @Caller() caller: Caller,
    @RequestId() requestId: string,
  ): Promise<ErasureResponseDto> {
    return this.admin.deleteUsersByPhoneNumber(phoneNumber, caller, requestId);
  }
}
