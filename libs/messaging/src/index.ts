export { SUBJECT_TOKEN, isSubjectToken } from './subject-token';
export { natsNames, type NatsNames } from './nats-names';
export { NatsModule, NATS_CONNECTION, connectNats, natsProbe } from './nats.module';
