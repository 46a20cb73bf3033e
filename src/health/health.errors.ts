import { AppError } from 'src/common/errors/app-error';

export enum HealthErrorCode {
  Unhealthy = 'unhealthy',
}

export class HealthError extends AppError {
  constructor(
    override readonly code: HealthErrorCode,
    detail: string,
    extensions?: Record<string, unknown>,
  ) {
    super(code, detail, extensions);
  }

  get status(): number {
    switch (this.code) {
      case HealthErrorCode.Unhealthy:
        return 503;
    }
  }
}
