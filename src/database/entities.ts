import { ApiKey } from 'src/api-keys/api-key.entity';
import { AuditEvent } from 'src/audit/audit-event.entity';
import { ConsumedCallbackToken } from 'src/callbacks/consumed-callback-token.entity';
import { GvpDeviceLink } from 'src/gvp/device-link.entity';
import { Session } from 'src/sessions/session.entity';
import { AuraUser } from 'src/users/user.entity';

/** Every TypeORM entity of the service, for the application and the migration CLI alike. */
export const ENTITIES = [ApiKey, AuditEvent, AuraUser, ConsumedCallbackToken, GvpDeviceLink, Session];
