import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AppModuleOptions, ConfigModule } from '@visage/config';
import { FaceAnalyzer } from '@visage/domain';
import { HealthModule } from '@visage/health';
import { ObservabilityModule } from '@visage/observability';
import { ImageQueueModule } from '@visage/image-queue';
import { observeBreaker } from './breaker/breaker-metrics';
import { RecognizerBreaker } from './breaker/recognizer-breaker';
import { recognizerCircuitReadiness } from './health/recognizer-circuit.readiness';
import { galleryReadiness } from './health/gallery.readiness';
import { PausableConsumer, queueReadiness } from '@visage/queue';
import { databaseReadiness } from '@visage/persistence';
import { processorAdapters } from './image-processor.providers';
import { FACE_ANALYZER, QUEUE_CONSUMER } from './image-processor.tokens';
import { createImageConsumerController } from './processing/image-consumer.controller';
import { ProcessImageService } from './processing/process-image.service';
import { PROCESSOR_SETTINGS, ProcessorSettings, processorSettingsFrom } from './processor.settings';
import { RETRY_JOB_SCHEDULED, RetryJob } from './retry/retry.job';
import { ConsumptionGate } from './startup/consumption-gate';
import { ProcessorStartup } from './startup/processor-startup.service';
import { KnownFacesRescanJob } from './startup/known-faces-rescan.job';
import { REMATCH_JOB_SCHEDULED, RematchJob } from './rematch/rematch.job';
import { ClusterJob } from './clusters/cluster.job';
import { RedescriptionJob } from './redescription/redescription.job';
import { redescriptionReadiness } from './redescription/redescription.readiness';
import { OutcomeRelayJob } from './outcomes/outcome-relay.job';
import { WebhookClient } from './outcomes/webhook-client';
import { WebhookDeliveryJob } from './outcomes/webhook-delivery.job';
import { webhooksReadiness } from './outcomes/webhooks.readiness';

export interface ImageProcessorModuleOptions extends AppModuleOptions {
  /** Fixed replica name (tests); default hostname:pid:random. */
  instanceId?: string;
  /** Register the RETRY_CRON job (default true; tests call RetryJob.runOnce themselves). */
  scheduleRetryJob?: boolean;
  /** Start the re-match job's interval (default true; tests call RematchJob.runOnce themselves). */
  scheduleRematchJob?: boolean;
}

/** The processor's services and jobs, which the embedded app and the tests reach too. */
const PROCESSOR_SERVICES = [
  ProcessorStartup,
  ProcessImageService,
  RetryJob,
  RematchJob,
  RedescriptionJob,
  ClusterJob,
  OutcomeRelayJob,
  WebhookDeliveryJob,
  KnownFacesRescanJob,
];

/**
 * The processor's providers. Global, because HealthModule's readiness factory (a module of its own)
 * injects the breaker and the consumer.
 */
@Module({})
class ImageProcessorCoreModule {
  static forRoot(options: ImageProcessorModuleOptions): DynamicModule {
    const settings = processorSettingsFrom(options.config, options.instanceId);
    return {
      module: ImageProcessorCoreModule,
      global: true,
      imports: processorAdapters(),
      providers: [
        { provide: PROCESSOR_SETTINGS, useValue: settings },
        { provide: RETRY_JOB_SCHEDULED, useValue: options.scheduleRetryJob ?? true },
        { provide: ConsumptionGate, inject: [QUEUE_CONSUMER], useFactory: (consumer: PausableConsumer) => new ConsumptionGate(consumer) },
        { provide: REMATCH_JOB_SCHEDULED, useValue: options.scheduleRematchJob ?? true },
        {
          provide: RecognizerBreaker,
          inject: [FACE_ANALYZER, PROCESSOR_SETTINGS, ConsumptionGate],
          useFactory: (analyzer: FaceAnalyzer, processorSettings: ProcessorSettings, gate: ConsumptionGate) =>
            observeBreaker(new RecognizerBreaker(analyzer, processorSettings.breaker, gate.consumerFor('circuit_open'))),
        },
        ...PROCESSOR_SERVICES,
        WebhookClient,
      ],
      exports: [PROCESSOR_SETTINGS, RecognizerBreaker, ...PROCESSOR_SERVICES],
    };
  }
}

@Module({})
export class ImageProcessorModule {
  static forRoot(options: ImageProcessorModuleOptions): DynamicModule {
    return {
      module: ImageProcessorModule,
      imports: [
        ConfigModule.forRoot(options.config),
        ScheduleModule.forRoot(),
        ImageProcessorCoreModule.forRoot(options),
        ImageQueueModule,
        HealthModule.forRoot(
          databaseReadiness,
          queueReadiness,
          recognizerCircuitReadiness,
          galleryReadiness,
          redescriptionReadiness,
          webhooksReadiness,
        ),
        ObservabilityModule.forRoot({ app: 'image-processor' }),
      ],
      controllers: [createImageConsumerController(options.config.QUEUE_TOPIC)],
    };
  }
}
