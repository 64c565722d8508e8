export { SUBJECT_TOKEN, isSubjectToken } from './subject-token';
export { natsNames, NATS_PREFIX_PATTERN, NATS_PREFIX_RULE, type NatsNames } from './nats-names';
export {
  NatsModule,
  NATS_CONNECTION,
  connectChecked,
  connectNats,
  natsProbe,
  natsServers,
  stopOnNatsLoss,
} from './nats.module';
export { consumerInboxPrefix, consumerPermissions, consumerUserConfig, type ConsumerGrant } from './nats-permissions';
export { referenceToken } from './nats-names';
export { parsePaymentIndexKey, paymentIndexEntry, type PaymentIndexEntry, type PaymentIndexKey } from './payment-index';
export { isRevisionConflict } from './kv-conflict';
export { JetStreamBatchPublisher, type PublishOutcome, type StreamMessage } from './jetstream-batch';
export { withTimeout } from './with-timeout';
export { stopThisProcess } from './stop-this-process';
export { natsAway, natsDoesNotAnswer } from './nats-reachability';
export { writeEntries, type KvWrite } from './kv-batch';
export { bucketKeys } from './kv-keys';
export {
  EngineOfAnotherLogError,
  leaseHeldForAnotherLog,
  leaseHolder,
  PROJECTOR_LEADER_KEY,
  refuseEngineOfAnotherLog,
  refuseEngineOfAnotherLogByItsLease,
} from './engine-of-another-log';
export {
  conformStream,
  keepReplicas,
  NATS_REPLICAS_MAX,
  refuseReplicasBeyondServer,
  replicatedBucket,
  replicatedObjectStore,
  streamReplicas,
  type StreamWants,
} from './nats-replicas';
export { DEFAULT_SETTLE_MS, settleWithin } from './stream-settle';
