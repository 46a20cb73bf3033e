import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Authenticated } from 'src/auth/authenticated.decorator';
import { Caller } from 'src/auth/caller';
import { Tier } from 'src/auth/tier';
import { ApiProblem } from 'src/common/http/api-problem.decorator';
import { RequestId } from 'src/common/http/request-id.decorator';
import { AuthenticationContextDto, CreateAuthenticatedUserDto } from 'src/users/dto/create-authenticated-user.dto';
import { LoginBodyInterceptor } from 'src/users/login-body.interceptor';
import { ChannelQueryDto, GetOrCreateUserQueryDto, IdentifiableUserQueryDto } from 'src/users/dto/user-queries.dto';
import { LastAuraIdResponseDto, UserResponseDto } from 'src/users/dto/user.response.dto';
import { AURA_ID_MAX_LENGTH, AURA_ID_PATTERN } from 'src/users/user-identifiers';
import { AuraIdGlobalPipe, AuraIdPipe } from 'src/users/user-params.pipe';
import { type GetOrCreateOutcome, UsersService } from 'src/users/users.service';

const AURA_ID_PARAM = {
  name: 'auraId',
  description:
    "The user's auraId: 1-128 printable ASCII characters other than `/ ? # %` and whitespace (percent-encode " +
    'the others that a URL path does not take as they are); not `.`, `..`, `aura-id`, `aura-id-global` or `auraid`.',
  schema: {
    type: 'string' as const,
    minLength: 1,
    maxLength: AURA_ID_MAX_LENGTH,
    pattern: AURA_ID_PATTERN.source,
    example: 'q3Xv9kR2mT8wYp1LzN4bC6dF0gH5jK7s',
  },
};

const VALIDATION_PROBLEM = 'Invalid input; `errors` names each bad field.';
const CHANNEL_FORBIDDEN =
  'Refused: wrong tier for this route, or a key bound to another channel than the user or channel of the request.';
const FORBIDDEN_CODES = ['api_key_tier_forbidden', 'api_key_channel_forbidden'];

/** 201 when the record was created, 200 when an existing one is returned. */
function statusOf(outcome: GetOrCreateOutcome): HttpStatus {
  return outcome.created ? HttpStatus.CREATED : HttpStatus.OK;
}

@ApiTags('Users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('aura-id')
  @ApiProblem(403, CHANNEL_FORBIDDEN, FORBIDDEN_CODES)
  @Authenticated({ tiers: [Tier.Kernel] })
  @ApiOperation({
    summary: 'Get or create the Aura user of a Kernel session (channels with their own authentication).',
    description:
      'The channel, Kernel user and authorization identify the user: the valid record is returned (200), ' +
      'or one is created with a new auraId (201). Concurrent identical calls give one record.',
  })
  @ApiOkResponse({ description: 'The existing valid user.', type: UserResponseDto })
  @ApiCreatedResponse({ description: 'A new user was created.', type: UserResponseDto })
  @ApiProblem(400, VALIDATION_PROBLEM, ['validation_failed'])
  async getOrCreateUser(
    @Query() query: GetOrCreateUserQueryDto,
    @Caller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponseDto> {
    const outcome = await this.users.getOrCreateUser(query, caller);
    void reply.status(statusOf(outcome));
    return outcome.user;
  }

  @Get('aura-id-global/:aura_id_global')
  @ApiProblem(403, CHANNEL_FORBIDDEN, FORBIDDEN_CODES)
  @Authenticated({ tiers: [Tier.Kernel] })
  @ApiOperation({ summary: 'The last valid auraId generated for an auraIdGlobal in the channel.' })
  @ApiParam({
    name: 'aura_id_global',
    description: 'The auraIdGlobal.',
    example: '3f1d9c2a-7b4e-5a61-9c0d-2e8f4b6a1c35',
  })
  @ApiOkResponse({ description: 'The last valid auraId.', type: LastAuraIdResponseDto })
  @ApiProblem(400, VALIDATION_PROBLEM, ['validation_failed'])
  @ApiProblem(404, 'No valid auraId of that auraIdGlobal in the channel.', ['aura_id_global_not_found'])
  getLastAuraId(
    @Param('aura_id_global', AuraIdGlobalPipe) auraIdGlobal: string,
    @Query() query: ChannelQueryDto,
    @Caller() caller: Caller,
  ): Promise<LastAuraIdResponseDto> {
    return this.users.getLastAuraId(auraIdGlobal, query.channel, caller);
  }

  @Get('aura-id/:auraId')
  @ApiProblem(403, CHANNEL_FORBIDDEN, FORBIDDEN_CODES)
  @Authenticated({ tiers: [Tier.Internal] })
  @ApiOperation({
    summary: 'Get or create an identifiable user whose auraId comes from an external authentication (WhatsApp).',
    description:
      'The record with that exact auraId is returned (200) or created as `identifiable` (201). userId and ' +
      'auraIdGlobal are derived from the phone number when given, else from the channel and the auraId.',
  })
  @ApiParam(AURA_ID_PARAM)
  @ApiOkResponse({ description: 'The existing user (identifiable or authenticated).', type: UserResponseDto })
  @ApiCreatedResponse({ description: 'A new identifiable user was created.', type: UserResponseDto })
  @ApiProblem(400, VALIDATION_PROBLEM, ['validation_failed'])
  @ApiProblem(409, 'The auraId belongs to a user of another channel.', ['user_channel_conflict'])
  async getOrCreateIdentifiableUser(
    @Param('auraId', AuraIdPipe) auraId: string,
    @Query() query: IdentifiableUserQueryDto,
    @Caller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponseDto> {
    const outcome = await this.users.getOrCreateIdentifiableUser(auraId, query, caller);
    void reply.status(statusOf(outcome));
    return outcome.user;
  }

  @Post(':auraId')
  @ApiProblem(403, CHANNEL_FORBIDDEN, FORBIDDEN_CODES)
  @Authenticated({ tiers: [Tier.Internal] })
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: 'Store the authentication context of an OTP login: the user becomes authenticated.',
    description: 'Creates the record, or upgrades the existing one of that auraId, and answers 201 Created.',
  })
  @ApiParam(AURA_ID_PARAM)
  @UseInterceptors(LoginBodyInterceptor)
  @ApiExtraModels(CreateAuthenticatedUserDto, AuthenticationContextDto)
  @ApiBody({
    description:
      'Either `{ channel?, authenticationContext }` (a body with an `authenticationContext` member: nothing else ' +
      "beside it), or the context itself as validateCode answers it (any other object; its `channel` is the context's).",
    schema: {
      oneOf: [{ $ref: getSchemaPath(CreateAuthenticatedUserDto) }, { $ref: getSchemaPath(AuthenticationContextDto) }],
    },
  })
  @ApiCreatedResponse({ description: 'The authenticated user.', type: UserResponseDto })
  @ApiProblem(400, VALIDATION_PROBLEM + ' Also for malformed JSON.', ['validation_failed', 'malformed_json'])
  @ApiProblem(409, 'The auraId belongs to another channel, or the authorization to another auraId.', [
    'user_channel_conflict',
    'authorization_already_linked',
  ])
  @ApiProblem(413, 'The body is larger than BODY_LIMIT_BYTES.', ['payload_too_large'])
  @ApiProblem(415, 'The body is not application/json.', ['unsupported_media_type'])
  createAuthenticatedUser(
    @Param('auraId', AuraIdPipe) auraId: string,
    @Body() body: CreateAuthenticatedUserDto,
    @Caller() caller: Caller,
  ): Promise<UserResponseDto> {
    return this.users.createAuthenticatedUser(auraId, body, caller);
  }

  @Get(':auraId')
  @ApiProblem(403, CHANNEL_FORBIDDEN, FORBIDDEN_CODES)
  @Authenticated({ tiers: [Tier.Internal] })
  @ApiOperation({
    summary: 'Get and validate a logged-in user: 404 means anonymous (no record, or identifiable only) or expired.',
    description:
      'Answers 200 only for an authenticated, unexpired user. An anonymous user gets `user_not_found` whether it ' +
      'has no record or an identifiable one (its generated userId and auraIdGlobal stay available from ' +
      '`GET /users/aura-id/{auraId}`).',
  })
  @ApiParam(AURA_ID_PARAM)
  @ApiOkResponse({ description: 'The authenticated user, valid.', type: UserResponseDto })
  @ApiProblem(400, VALIDATION_PROBLEM, ['validation_failed'])
  @ApiProblem(
    404,
    '`user_not_found`: anonymous user (no record, or an identifiable one); `user_expired`: the login is no longer valid.',
    ['user_not_found', 'user_expired'],
  )
  getUser(@Param('auraId', AuraIdPipe) auraId: string, @Caller() caller: Caller): Promise<UserResponseDto> {
    return this.users.getUser(auraId, caller);
  }

  @Delete(':auraId')
  @ApiProblem(403, CHANNEL_FORBIDDEN, FORBIDDEN_CODES)
  @Authenticated({ tiers: [Tier.Internal, Tier.Kernel] })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: "Remove a user's record (logout). Idempotent: 204 whether or not there was one.",
  })
  @ApiParam(AURA_ID_PARAM)
  @ApiNoContentResponse({ description: 'The record is gone.' })
  @ApiProblem(400, VALIDATION_PROBLEM, ['validation_failed'])
  deleteUser(
    @Param('auraId', AuraIdPipe) auraId: string,
    @Caller() caller: Caller,
    @RequestId() requestId: string,
  ): Promise<void> {
    return this.users.deleteUser(auraId, caller, requestId);
  }
}
