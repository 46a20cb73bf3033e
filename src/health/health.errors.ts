import { AppError } from 'src/common/errors/app-error';
import { errorStatuses } from 'src/common/errors/error-statuses';

export enum HealthErrorCode {
  Unhealthy = 'unhealthy',
}

const status = errorStatuses<HealthErrorCode>({
  [HealthErrorCode.Unhealthy]: 503,
});

export class HealthError extends AppError {
  constructor(
    override readonly code: HealthErrorCode,
    detail: string,
    extensions?: Record<string, unknown>,
  ) {
    super(code, detail, extensions);
  }

  get status(): number {
    return status(this.code);
  }
}
