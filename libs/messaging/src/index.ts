export { SUBJECT_TOKEN, isSubjectToken } from './subject-token';
export { natsNames, type NatsNames } from './nats-names';
export { NatsModule, NATS_CONNECTION, connectNats, natsProbe, natsServers } from './nats.module';
export { consumerPermissions, consumerUserConfig, type ConsumerGrant } from './nats-permissions';
export { referenceToken } from './nats-names';
export { parsePaymentIndexKey, paymentIndexEntry, type PaymentIndexEntry, type PaymentIndexKey } from './payment-index';
export { isRevisionConflict } from './kv-conflict';
export { JetStreamBatchPublisher, type StreamMessage } from './jetstream-batch';
export { withTimeout } from './with-timeout';
