import { Injectable } from '@nestjs/common';
import { AdminMetrics } from 'src/admin/admin.metrics';
import type { ErasureResponseDto } from 'src/admin/dto/erasure.dto';
import type { Caller } from 'src/auth/caller';
import { AuditAction, AuditService } from 'src/audit/audit.service';
import { Database, type Tx } from 'src/database/database';
import { PhoneNumbers } from 'src/users/phone-numbers';
import { CallbacksService } from 'src/callbacks/callbacks.service';
import { UsersService } from 'src/users/users.service';

export const PHONE_NUMBER_PARAM = 'phone_number';

/** What one erasure removed. */
interface Erased {
  users: number;
  channels: string[];
  phoneIndex: string;
}

@Injectable()
export class AdminService {
  constructor(
    private readonly database: Database,
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
  async deleteUsersByPhoneNumber(text: string, caller: Caller, requestId: string): Promise<ErasureResponseDto> {
    this.users.assertMayEraseEveryChannel(caller);
    const phoneNumber = this.phoneNumbers.normalize(text, PHONE_NUMBER_PARAM);
    const erased = await this.database.transaction(async (tx) => {
      const result = await this.eraseEverything(phoneNumber, tx);
      await this.audit.record(
        {
          action: AuditAction.UsersErasedByPhoneNumber,
          actorKeyId: caller.kind === 'api-key' ? caller.id : null,
          subject: phoneNumber,
          recordCount: result.users,
          requestId,
          details: { channels: result.channels, phoneIndex: result.phoneIndex },
        },
        tx,
      );
      return result;
    });
    this.metrics.erasure(erased.users);
    return { deleted: erased.users };
  }

  /**
   * The one place that knows every store of personal data tied to a phone number: user records (holding
   * it in any writing: docs/gdpr.md), the consumed callback tokens that carried it, and the audit rows whose
   * hashed subject was the number or an erased auraId. A new store of such data (device links) is erased
   * here, in the same transaction, so that the erasure stays one transaction. Data keyed by auraId can use
   * `users.auraIds`.
   */
  private async eraseEverything(phoneNumber: string, tx: Tx): Promise<Erased> {
    const users = await this.users.eraseByPhoneNumber(phoneNumber, tx);
    await this.callbacks.eraseByPhoneNumber(phoneNumber, tx);
    // The number as a WhatsApp id writes it (digits, no +), and the erased auraIds: audit rows of logouts and
    // callbacks hashed those.
    await this.audit.unlinkSubjects([phoneNumber, phoneNumber.slice(1), ...users.auraIds], tx);
    return { users: users.count, channels: users.channels, phoneIndex: users.phoneIndex };
  }
}
