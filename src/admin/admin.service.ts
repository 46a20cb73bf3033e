import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AdminMetrics } from 'src/admin/admin.metrics';
import type { ErasureResponseDto } from 'src/admin/dto/erasure.dto';
import type { Caller } from 'src/common/access/caller';
import { AuditAction, AuditService } from 'src/audit/audit.service';
import { PhoneNumbers } from 'src/users/phone-numbers';
import { CallbacksService } from 'src/callbacks/callbacks.service';
import { UsersService } from 'src/users/users.service';

export const PHONE_NUMBER_PARAM = 'phone_number';

/** What one erasure removed. */
interface Erased {
  users: number;
  channels: string[];
}

@Injectable()
export class AdminService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly phoneNumbers: PhoneNumbers,
    private readonly users: UsersService,
    private readonly callbacks: CallbacksService,
    private readonly audit: AuditService,
    private readonly metrics: AdminMetrics,
  ) {}

  /**
   * GDPR erasure: everything held about the person with that phone number, in every channel, in one
   * transaction with its audit row (the number only as a keyed hash). Repeating it erases nothing more.
   */
  async deleteUsersByPhoneNumber(text: string, caller: Caller): Promise<ErasureResponseDto> {
    this.users.assertMayEraseEveryChannel(caller);
    const phoneNumber = this.phoneNumbers.normalize(text, PHONE_NUMBER_PARAM);
    const erased = await this.dataSource.transaction(async (manager) => {
      const result = await this.eraseEverything(phoneNumber, manager);
      await this.audit.record(
        {
          action: AuditAction.UsersErasedByPhoneNumber,
          actorKeyId: caller.key?.id ?? null,
          subject: phoneNumber,
          recordCount: result.users,
          requestId: caller.requestId,
          details: { channels: result.channels },
        },
        manager,
      );
      return result;
    });
    this.metrics.erasure(erased.users);
    return { deleted: erased.users };
  }

  /**
   * The one place that knows every store of personal data tied to a phone number: user records and the
   * consumed callback tokens that carried the number. A new store of such data (device links) is erased
   * here, with the same manager, so that the erasure stays one transaction. Data keyed by auraId can use
   * `users.auraIds`.
   */
  private async eraseEverything(phoneNumber: string, manager: EntityManager): Promise<Erased> {
    const users = await this.users.eraseByPhoneNumber(phoneNumber, manager);
    await this.callbacks.eraseByPhoneNumber(phoneNumber, manager);
    return { users: users.count, channels: users.channels };
  }
}
