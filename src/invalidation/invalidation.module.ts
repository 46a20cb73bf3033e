import { Module } from '@nestjs/common';
import { InvalidationListener } from 'src/invalidation/invalidation.listener';
import { invalidationMetricProviders } from 'src/invalidation/invalidation.metrics';
import { Invalidations } from 'src/invalidation/invalidations';

/** Publishing and handler registration: for the service and the operator CLI alike. */
@Module({
  providers: [Invalidations],
  exports: [Invalidations],
})
export class InvalidationModule {}

/** The service's listening connection (not the CLI's: it only publishes). */
@Module({
  imports: [InvalidationModule],
  providers: [InvalidationListener, ...invalidationMetricProviders],
})
export class InvalidationListenerModule {}
