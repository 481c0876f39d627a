import { createPreparedRead, type PreparedRead } from './prepared-reads';
import { createPipelinedTransactions, type PipelinedTransactions } from './pipelined-transaction';
import {
  DataTypes,
  type CreationOptional,
  type ForeignKey,
  type InferAttributes,
  type InferCreationAttributes,
  type Model,
  type ModelStatic,
  type Sequelize,
} from 'sequelize';
import type { Role } from '../domain/actor';
import type { AppointmentStatus } from '../domain/appointment';

/**
 * Models are defined per Sequelize instance (sequelize.define, not a global class), so a test or a
 * benchmark can hold several databases at once. The schema itself belongs to migrations/.
 */

export interface UserRow extends Model<InferAttributes<UserRow>, InferCreationAttributes<UserRow>> {
  id: CreationOptional<string>;
  role: Role;
  email: string | null;
  displayName: string;
  active: CreationOptional<boolean>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export interface PatientRow extends Model<InferAttributes<PatientRow>, InferCreationAttributes<PatientRow>> {
  id: CreationOptional<string>;
  userId: ForeignKey<string>;
  fullName: string;
  dateOfBirth: string;
  phoneE164: string | null;
  preferredChannel: CreationOptional<string>;
  timeZone: string;
  smsOptOut: CreationOptional<boolean>;
  smsOptOutAt: CreationOptional<Date | null>;
  locale: CreationOptional<string>;
  verificationLockedAt: CreationOptional<Date | null>;
  verificationClearedAt: CreationOptional<Date | null>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export interface DoctorRow extends Model<InferAttributes<DoctorRow>, InferCreationAttributes<DoctorRow>> {
  id: CreationOptional<string>;
  userId: string | null;
  fullName: string;
  timeZone: string;
  slotMinutes: CreationOptional<number>;
  gridMinutes: CreationOptional<number | null>;
  defaultVisitTypeId: CreationOptional<string | null>;
  active: CreationOptional<boolean>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export interface SpecializationRow
  extends Model<InferAttributes<SpecializationRow>, InferCreationAttributes<SpecializationRow>> {
  id: CreationOptional<string>;
  name: string;
  keywords: CreationOptional<string[]>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export interface DoctorSpecializationRow
  extends Model<InferAttributes<DoctorSpecializationRow>, InferCreationAttributes<DoctorSpecializationRow>> {
  doctorId: string;
  specializationId: string;
}

export interface AvailabilityRuleRow
  extends Model<InferAttributes<AvailabilityRuleRow>, InferCreationAttributes<AvailabilityRuleRow>> {
  id: CreationOptional<string>;
  doctorId: string;
  weekday: number;
  startTime: string;
  endTime: string;
  validFrom: string | null;
  validTo: string | null;
  locationId: CreationOptional<string | null>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export interface LocationRow extends Model<InferAttributes<LocationRow>, InferCreationAttributes<LocationRow>> {
  id: CreationOptional<string>;
  name: string;
  address: string | null;
  phoneE164: string | null;
  timeZone: string;
  active: CreationOptional<boolean>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export interface VisitTypeRow extends Model<InferAttributes<VisitTypeRow>, InferCreationAttributes<VisitTypeRow>> {
  id: CreationOptional<string>;
  name: string;
  durationMinutes: number;
  bufferBeforeMinutes: CreationOptional<number>;
  bufferAfterMinutes: CreationOptional<number>;
  telehealth: CreationOptional<boolean>;
  videoUrlTemplate: CreationOptional<string | null>;
  keywords: CreationOptional<string[]>;
  intakeQuestions: CreationOptional<string[]>;
  active: CreationOptional<boolean>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export interface DoctorVisitTypeRow extends Model<InferAttributes<DoctorVisitTypeRow>, InferCreationAttributes<DoctorVisitTypeRow>> {
  doctorId: string;
  visitTypeId: string;
}

export interface AppointmentSeriesRow extends Model<InferAttributes<AppointmentSeriesRow>, InferCreationAttributes<AppointmentSeriesRow>> {
  id: CreationOptional<string>;
  doctorId: string;
  patientId: string;
  everyWeeks: CreationOptional<number>;
  occurrences: number;
  createdBy: string | null;
  createdAt: CreationOptional<Date>;
}

export interface WaitlistEntryRow extends Model<InferAttributes<WaitlistEntryRow>, InferCreationAttributes<WaitlistEntryRow>> {
  id: CreationOptional<string>;
  patientId: string;
  doctorId: string | null;
  specializationId: string | null;
  fromDate: string;
  toDate: string;
  windowStart: number | null;
  windowEnd: number | null;
  zone: string;
  createdAt: CreationOptional<Date>;
  endedAt: CreationOptional<Date | null>;
  endedReason: CreationOptional<string | null>;
}

export interface WaitlistOfferRow extends Model<InferAttributes<WaitlistOfferRow>, InferCreationAttributes<WaitlistOfferRow>> {
  id: CreationOptional<string>;
  entryId: string;
  patientId: string;
  doctorId: string;
  startsAt: Date;
  holdId: string | null;
  offeredAt: Date;
  expiresAt: Date;
  outcome: CreationOptional<'offered' | 'accepted' | 'declined' | 'expired' | 'failed'>;
  answeredAt: CreationOptional<Date | null>;
}

export interface CalendarFeedRow extends Model<InferAttributes<CalendarFeedRow>, InferCreationAttributes<CalendarFeedRow>> {
  id: CreationOptional<string>;
  doctorId: string;
  tokenHash: string;
  showNames: CreationOptional<boolean>;
  createdBy: string | null;
  createdAt: CreationOptional<Date>;
  revokedAt: CreationOptional<Date | null>;
}

export interface ExternalCalendarRow extends Model<InferAttributes<ExternalCalendarRow>, InferCreationAttributes<ExternalCalendarRow>> {
  doctorId: string;
  url: string;
  etag: CreationOptional<string | null>;
  lastModified: CreationOptional<string | null>;
  fetchedAt: CreationOptional<Date | null>;
  lastError: CreationOptional<string | null>;
  createdAt: CreationOptional<Date>;
}

export interface ExternalBusyRow extends Model<InferAttributes<ExternalBusyRow>, InferCreationAttributes<ExternalBusyRow>> {
  id: CreationOptional<string>;
  doctorId: string;
  startsAt: Date;
  endsAt: Date;
}

export interface FhirClientRow extends Model<InferAttributes<FhirClientRow>, InferCreationAttributes<FhirClientRow>> {
  id: CreationOptional<string>;
  name: string;
  clientId: string;
  secretHash: string | null;
  /** SMART Backend Services: where the client's public keys are, for its signed assertions. */
  jwksUrl: CreationOptional<string | null>;
  scopes: string[];
  userId: string;
  createdBy: string | null;
  createdAt: CreationOptional<Date>;
  revokedAt: CreationOptional<Date | null>;
}

export interface FhirAssertionRow extends Model<InferAttributes<FhirAssertionRow>, InferCreationAttributes<FhirAssertionRow>> {
  clientId: string;
  jti: string;
  expiresAt: Date;
}

export interface FhirTokenRow extends Model<InferAttributes<FhirTokenRow>, InferCreationAttributes<FhirTokenRow>> {
  tokenHash: string;
  clientId: string;
  scopes: string[];
  expiresAt: Date;
}

export interface TimeOffRow extends Model<InferAttributes<TimeOffRow>, InferCreationAttributes<TimeOffRow>> {
  id: CreationOptional<string>;
  doctorId: string;
  startsAt: Date;
  endsAt: Date;
  reason: string | null;
  createdBy: string | null;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export interface AppointmentRow
  extends Model<InferAttributes<AppointmentRow>, InferCreationAttributes<AppointmentRow>> {
  id: CreationOptional<string>;
  doctorId: string;
  patientId: string;
  startsAt: Date;
  endsAt: Date;
  status: CreationOptional<AppointmentStatus>;
  reason: string | null;
  channel: string;
  createdBy: string | null;
  cancelledAt: CreationOptional<Date | null>;
  cancelledBy: CreationOptional<string | null>;
  cancelReason: CreationOptional<string | null>;
  rescheduledFrom: CreationOptional<string | null>;
  locationId: CreationOptional<string | null>;
  visitTypeId: CreationOptional<string | null>;
  bufferBeforeMinutes: CreationOptional<number>;
  bufferAfterMinutes: CreationOptional<number>;
  videoUrl: CreationOptional<string | null>;
  seriesId: CreationOptional<string | null>;
  intake: CreationOptional<Array<{ question: string; answer: string }> | null>;
  holdExpiresAt: CreationOptional<Date | null>;
  patientConfirmedAt: CreationOptional<Date | null>;
  patientToldAt: CreationOptional<Date | null>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export interface ChannelIdentityRow
  extends Model<InferAttributes<ChannelIdentityRow>, InferCreationAttributes<ChannelIdentityRow>> {
  id: CreationOptional<string>;
  channel: string;
  externalId: string;
  userId: string;
  createdAt: CreationOptional<Date>;
}

export interface SettingRow extends Model<InferAttributes<SettingRow>, InferCreationAttributes<SettingRow>> {
  key: string;
  value: unknown;
  updatedAt: CreationOptional<Date>;
  updatedBy: string | null;
}

export interface AuditRow extends Model<InferAttributes<AuditRow>, InferCreationAttributes<AuditRow>> {
  id: CreationOptional<string>;
  at: CreationOptional<Date>;
  actorUserId: string | null;
  actorRole: string | null;
  channel: string | null;
  action: string;
  outcome: 'allowed' | 'denied';
  patientId: string | null;
  subjectType: string | null;
  subjectId: string | null;
  details: CreationOptional<Record<string, unknown>>;
}

export interface LinkCodeRow extends Model<InferAttributes<LinkCodeRow>, InferCreationAttributes<LinkCodeRow>> {
  id: CreationOptional<string>;
  userId: string;
  lookup: string;
  salt: string;
  codeHash: string;
  expiresAt: Date;
  usedAt: CreationOptional<Date | null>;
  usedBy: CreationOptional<string | null>;
  createdBy: string | null;
  createdAt: CreationOptional<Date>;
}

export interface ConversationReferenceRow
  extends Model<InferAttributes<ConversationReferenceRow>, InferCreationAttributes<ConversationReferenceRow>> {
  userId: string;
  channel: 'teams' | 'slack';
  reference: unknown;
  updatedAt: CreationOptional<Date>;
}

export interface ReminderDeliveryRow extends Model<InferAttributes<ReminderDeliveryRow>, InferCreationAttributes<ReminderDeliveryRow>> {
  appointmentId: string;
  offsetMinutes: number;
  status: 'sending' | 'sent' | 'skipped';
  reason: CreationOptional<string | null>;
  attemptedAt: CreationOptional<Date>;
  sentAt: CreationOptional<Date | null>;
}

export interface DigestDeliveryRow extends Model<InferAttributes<DigestDeliveryRow>, InferCreationAttributes<DigestDeliveryRow>> {
  doctorId: string;
  /** The doctor's own calendar day, YYYY-MM-DD. */
  localDate: string;
  sentAt: CreationOptional<Date>;
}

export interface SettingChangeRow extends Model<InferAttributes<SettingChangeRow>, InferCreationAttributes<SettingChangeRow>> {
  id: CreationOptional<string>;
  key: string;
  oldValue: unknown;
  newValue: unknown;
  changedBy: string | null;
  changedAt: CreationOptional<Date>;
}

export interface OutboxRow extends Model<InferAttributes<OutboxRow>, InferCreationAttributes<OutboxRow>> {
  id: CreationOptional<string>;
  kind: 'appointment.booked' | 'appointment.rescheduled' | 'appointment.cancelled';
  appointmentId: string;
  payload: CreationOptional<Record<string, unknown>>;
  createdAt: CreationOptional<Date>;
  relayedAt: CreationOptional<Date | null>;
}

const id = { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 };
const stamps = { createdAt: DataTypes.DATE, updatedAt: DataTypes.DATE };

export function defineModels(sequelize: Sequelize) {
  const User = sequelize.define<UserRow>(
    'User',
    {
      id,
      role: { type: DataTypes.ENUM('patient', 'doctor', 'admin'), allowNull: false },
      email: { type: DataTypes.STRING, allowNull: true },
      displayName: { type: DataTypes.STRING, allowNull: false },
      active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      ...stamps,
    },
    { tableName: 'users' },
  );

  const Patient = sequelize.define<PatientRow>(
    'Patient',
    {
      id,
      userId: { type: DataTypes.UUID, allowNull: false },
      fullName: { type: DataTypes.STRING, allowNull: false },
      dateOfBirth: { type: DataTypes.DATEONLY, allowNull: false },
      phoneE164: { type: DataTypes.STRING, allowNull: true },
      preferredChannel: { type: DataTypes.STRING, allowNull: false, defaultValue: 'sms' },
      timeZone: { type: DataTypes.STRING, allowNull: false },
      smsOptOut: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      smsOptOutAt: { type: DataTypes.DATE, allowNull: true },
      locale: { type: DataTypes.STRING, allowNull: false, defaultValue: 'en' },
      verificationLockedAt: { type: DataTypes.DATE, allowNull: true },
      verificationClearedAt: { type: DataTypes.DATE, allowNull: true },
      ...stamps,
    },
    { tableName: 'patients' },
  );

  const Doctor = sequelize.define<DoctorRow>(
    'Doctor',
    {
      id,
      userId: { type: DataTypes.UUID, allowNull: true },
      fullName: { type: DataTypes.STRING, allowNull: false },
      timeZone: { type: DataTypes.STRING, allowNull: false },
      slotMinutes: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 30 },
      gridMinutes: { type: DataTypes.INTEGER, allowNull: true },
      defaultVisitTypeId: { type: DataTypes.UUID, allowNull: true },
      active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      ...stamps,
    },
    { tableName: 'doctors' },
  );

  const Specialization = sequelize.define<SpecializationRow>(
    'Specialization',
    {
      id,
      name: { type: DataTypes.STRING, allowNull: false },
      keywords: { type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false, defaultValue: [] },
      ...stamps,
    },
    { tableName: 'specializations' },
  );

  const DoctorSpecialization = sequelize.define<DoctorSpecializationRow>(
    'DoctorSpecialization',
    {
      doctorId: { type: DataTypes.UUID, primaryKey: true },
      specializationId: { type: DataTypes.UUID, primaryKey: true },
    },
    { tableName: 'doctor_specializations', timestamps: false },
  );

  const AvailabilityRule = sequelize.define<AvailabilityRuleRow>(
    'AvailabilityRule',
    {
      id,
      doctorId: { type: DataTypes.UUID, allowNull: false },
      weekday: { type: DataTypes.SMALLINT, allowNull: false },
      startTime: { type: DataTypes.TIME, allowNull: false },
      endTime: { type: DataTypes.TIME, allowNull: false },
      validFrom: { type: DataTypes.DATEONLY, allowNull: true },
      validTo: { type: DataTypes.DATEONLY, allowNull: true },
      locationId: { type: DataTypes.UUID, allowNull: true },
      ...stamps,
    },
    { tableName: 'availability_rules' },
  );

  const Location = sequelize.define<LocationRow>(
    'Location',
    {
      id,
      name: { type: DataTypes.STRING, allowNull: false },
      address: { type: DataTypes.STRING, allowNull: true },
      phoneE164: { type: DataTypes.STRING, allowNull: true },
      timeZone: { type: DataTypes.STRING, allowNull: false },
      active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      ...stamps,
    },
    { tableName: 'locations' },
  );

  const VisitType = sequelize.define<VisitTypeRow>(
    'VisitType',
    {
      id,
      name: { type: DataTypes.STRING, allowNull: false },
      durationMinutes: { type: DataTypes.INTEGER, allowNull: false },
      bufferBeforeMinutes: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      bufferAfterMinutes: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      telehealth: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      videoUrlTemplate: { type: DataTypes.STRING, allowNull: true },
      keywords: { type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false, defaultValue: [] },
      intakeQuestions: { type: DataTypes.JSONB, allowNull: false, defaultValue: [] },
      active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      ...stamps,
    },
    { tableName: 'visit_types' },
  );

  const DoctorVisitType = sequelize.define<DoctorVisitTypeRow>(
    'DoctorVisitType',
    {
      doctorId: { type: DataTypes.UUID, primaryKey: true },
      visitTypeId: { type: DataTypes.UUID, primaryKey: true },
    },
    { tableName: 'doctor_visit_types', timestamps: false },
  );

  const WaitlistEntry = sequelize.define<WaitlistEntryRow>(
    'WaitlistEntry',
    {
      id,
      patientId: { type: DataTypes.UUID, allowNull: false },
      doctorId: { type: DataTypes.UUID, allowNull: true },
      specializationId: { type: DataTypes.UUID, allowNull: true },
      fromDate: { type: DataTypes.DATEONLY, allowNull: false },
      toDate: { type: DataTypes.DATEONLY, allowNull: false },
      windowStart: { type: DataTypes.INTEGER, allowNull: true },
      windowEnd: { type: DataTypes.INTEGER, allowNull: true },
      zone: { type: DataTypes.STRING, allowNull: false },
      createdAt: DataTypes.DATE,
      endedAt: { type: DataTypes.DATE, allowNull: true },
      endedReason: { type: DataTypes.STRING, allowNull: true },
    },
    { tableName: 'waitlist_entries', updatedAt: false },
  );

  const WaitlistOffer = sequelize.define<WaitlistOfferRow>(
    'WaitlistOffer',
    {
      id,
      entryId: { type: DataTypes.UUID, allowNull: false },
      patientId: { type: DataTypes.UUID, allowNull: false },
      doctorId: { type: DataTypes.UUID, allowNull: false },
      startsAt: { type: DataTypes.DATE, allowNull: false },
      holdId: { type: DataTypes.UUID, allowNull: true },
      offeredAt: { type: DataTypes.DATE, allowNull: false },
      expiresAt: { type: DataTypes.DATE, allowNull: false },
      outcome: { type: DataTypes.STRING, allowNull: false, defaultValue: 'offered' },
      answeredAt: { type: DataTypes.DATE, allowNull: true },
    },
    { tableName: 'waitlist_offers', timestamps: false },
  );

  const CalendarFeed = sequelize.define<CalendarFeedRow>(
    'CalendarFeed',
    {
      id,
      doctorId: { type: DataTypes.UUID, allowNull: false },
      tokenHash: { type: DataTypes.STRING, allowNull: false },
      showNames: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      createdBy: { type: DataTypes.UUID, allowNull: true },
      createdAt: DataTypes.DATE,
      revokedAt: { type: DataTypes.DATE, allowNull: true },
    },
    { tableName: 'calendar_feeds', updatedAt: false },
  );

  const ExternalCalendar = sequelize.define<ExternalCalendarRow>(
    'ExternalCalendar',
    {
      doctorId: { type: DataTypes.UUID, primaryKey: true },
      url: { type: DataTypes.STRING, allowNull: false },
      etag: { type: DataTypes.STRING, allowNull: true },
      lastModified: { type: DataTypes.STRING, allowNull: true },
      fetchedAt: { type: DataTypes.DATE, allowNull: true },
      lastError: { type: DataTypes.STRING, allowNull: true },
      createdAt: DataTypes.DATE,
    },
    { tableName: 'external_calendars', updatedAt: false },
  );

  const ExternalBusy = sequelize.define<ExternalBusyRow>(
    'ExternalBusy',
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      doctorId: { type: DataTypes.UUID, allowNull: false },
      startsAt: { type: DataTypes.DATE, allowNull: false },
      endsAt: { type: DataTypes.DATE, allowNull: false },
    },
    { tableName: 'external_busy', timestamps: false },
  );

  const FhirClient = sequelize.define<FhirClientRow>(
    'FhirClient',
    {
      id,
      name: { type: DataTypes.STRING, allowNull: false },
      clientId: { type: DataTypes.STRING, allowNull: false },
      secretHash: { type: DataTypes.STRING, allowNull: true },
      jwksUrl: { type: DataTypes.TEXT, allowNull: true },
      scopes: { type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false },
      userId: { type: DataTypes.UUID, allowNull: false },
      createdBy: { type: DataTypes.UUID, allowNull: true },
      createdAt: DataTypes.DATE,
      revokedAt: { type: DataTypes.DATE, allowNull: true },
    },
    { tableName: 'fhir_clients', updatedAt: false },
  );

  const FhirToken = sequelize.define<FhirTokenRow>(
    'FhirToken',
    {
      tokenHash: { type: DataTypes.STRING, primaryKey: true },
      clientId: { type: DataTypes.UUID, allowNull: false },
      scopes: { type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false },
      expiresAt: { type: DataTypes.DATE, allowNull: false },
    },
    { tableName: 'fhir_tokens', timestamps: false },
  );

  const FhirAssertion = sequelize.define<FhirAssertionRow>(
    'FhirAssertion',
    {
      clientId: { type: DataTypes.UUID, primaryKey: true },
      jti: { type: DataTypes.TEXT, primaryKey: true },
      expiresAt: { type: DataTypes.DATE, allowNull: false },
    },
    { tableName: 'fhir_assertions', timestamps: false },
  );

  const AppointmentSeries = sequelize.define<AppointmentSeriesRow>(
    'AppointmentSeries',
    {
      id,
      doctorId: { type: DataTypes.UUID, allowNull: false },
      patientId: { type: DataTypes.UUID, allowNull: false },
      everyWeeks: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
      occurrences: { type: DataTypes.INTEGER, allowNull: false },
      createdBy: { type: DataTypes.UUID, allowNull: true },
      createdAt: DataTypes.DATE,
    },
    { tableName: 'appointment_series', updatedAt: false },
  );

  const TimeOff = sequelize.define<TimeOffRow>(
    'TimeOff',
    {
      id,
      doctorId: { type: DataTypes.UUID, allowNull: false },
      startsAt: { type: DataTypes.DATE, allowNull: false },
      endsAt: { type: DataTypes.DATE, allowNull: false },
      reason: { type: DataTypes.STRING, allowNull: true },
      createdBy: { type: DataTypes.UUID, allowNull: true },
      ...stamps,
    },
    { tableName: 'time_off' },
  );

  const Appointment = sequelize.define<AppointmentRow>(
    'Appointment',
    {
      id,
      doctorId: { type: DataTypes.UUID, allowNull: false },
      patientId: { type: DataTypes.UUID, allowNull: false },
      startsAt: { type: DataTypes.DATE, allowNull: false },
      endsAt: { type: DataTypes.DATE, allowNull: false },
      status: {
        type: DataTypes.ENUM('booked', 'cancelled', 'completed', 'no_show', 'held'),
        allowNull: false,
        defaultValue: 'booked',
      },
      reason: { type: DataTypes.STRING, allowNull: true },
      channel: { type: DataTypes.STRING, allowNull: false },
      createdBy: { type: DataTypes.UUID, allowNull: true },
      cancelledAt: { type: DataTypes.DATE, allowNull: true },
      cancelledBy: { type: DataTypes.UUID, allowNull: true },
      cancelReason: { type: DataTypes.STRING, allowNull: true },
      rescheduledFrom: { type: DataTypes.UUID, allowNull: true },
      locationId: { type: DataTypes.UUID, allowNull: true },
      visitTypeId: { type: DataTypes.UUID, allowNull: true },
      bufferBeforeMinutes: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      bufferAfterMinutes: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      videoUrl: { type: DataTypes.STRING, allowNull: true },
      seriesId: { type: DataTypes.UUID, allowNull: true },
      intake: { type: DataTypes.JSONB, allowNull: true },
      holdExpiresAt: { type: DataTypes.DATE, allowNull: true },
      patientConfirmedAt: { type: DataTypes.DATE, allowNull: true },
      patientToldAt: { type: DataTypes.DATE, allowNull: true },
      ...stamps,
    },
    { tableName: 'appointments' },
  );

  const ChannelIdentity = sequelize.define<ChannelIdentityRow>(
    'ChannelIdentity',
    {
      id,
      channel: { type: DataTypes.STRING, allowNull: false },
      externalId: { type: DataTypes.STRING, allowNull: false },
      userId: { type: DataTypes.UUID, allowNull: false },
      createdAt: DataTypes.DATE,
    },
    { tableName: 'channel_identities', updatedAt: false },
  );

  const Setting = sequelize.define<SettingRow>(
    'Setting',
    {
      key: { type: DataTypes.STRING, primaryKey: true },
      value: { type: DataTypes.JSONB, allowNull: false },
      updatedAt: DataTypes.DATE,
      updatedBy: { type: DataTypes.UUID, allowNull: true },
    },
    { tableName: 'settings', createdAt: false },
  );

  const Audit = sequelize.define<AuditRow>(
    'Audit',
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      at: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
      actorUserId: { type: DataTypes.UUID, allowNull: true },
      actorRole: { type: DataTypes.STRING, allowNull: true },
      channel: { type: DataTypes.STRING, allowNull: true },
      action: { type: DataTypes.STRING, allowNull: false },
      outcome: { type: DataTypes.STRING, allowNull: false },
      patientId: { type: DataTypes.UUID, allowNull: true },
      subjectType: { type: DataTypes.STRING, allowNull: true },
      subjectId: { type: DataTypes.STRING, allowNull: true },
      details: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
    },
    { tableName: 'audit_log', timestamps: false },
  );

  const LinkCode = sequelize.define<LinkCodeRow>(
    'LinkCode',
    {
      id,
      userId: { type: DataTypes.UUID, allowNull: false },
      lookup: { type: DataTypes.STRING, allowNull: false },
      salt: { type: DataTypes.STRING, allowNull: false },
      codeHash: { type: DataTypes.STRING, allowNull: false },
      expiresAt: { type: DataTypes.DATE, allowNull: false },
      usedAt: { type: DataTypes.DATE, allowNull: true },
      usedBy: { type: DataTypes.STRING, allowNull: true },
      createdBy: { type: DataTypes.UUID, allowNull: true },
      createdAt: DataTypes.DATE,
    },
    { tableName: 'link_codes', updatedAt: false },
  );

  const ConversationReference = sequelize.define<ConversationReferenceRow>(
    'ConversationReference',
    {
      userId: { type: DataTypes.UUID, primaryKey: true },
      channel: { type: DataTypes.STRING, primaryKey: true },
      reference: { type: DataTypes.JSONB, allowNull: false },
      updatedAt: DataTypes.DATE,
    },
    { tableName: 'conversation_references', createdAt: false },
  );

  const Outbox = sequelize.define<OutboxRow>(
    'Outbox',
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      kind: { type: DataTypes.STRING, allowNull: false },
      appointmentId: { type: DataTypes.UUID, allowNull: false },
      payload: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
      createdAt: DataTypes.DATE,
      relayedAt: { type: DataTypes.DATE, allowNull: true },
    },
    { tableName: 'outbox', updatedAt: false },
  );

  const ReminderDelivery = sequelize.define<ReminderDeliveryRow>(
    'ReminderDelivery',
    {
      appointmentId: { type: DataTypes.UUID, primaryKey: true },
      offsetMinutes: { type: DataTypes.INTEGER, primaryKey: true },
      status: { type: DataTypes.STRING, allowNull: false },
      reason: { type: DataTypes.STRING, allowNull: true },
      attemptedAt: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
      sentAt: { type: DataTypes.DATE, allowNull: true },
    },
    { tableName: 'reminder_deliveries', timestamps: false },
  );

  const DigestDelivery = sequelize.define<DigestDeliveryRow>(
    'DigestDelivery',
    {
      doctorId: { type: DataTypes.UUID, primaryKey: true },
      localDate: { type: DataTypes.DATEONLY, primaryKey: true },
      sentAt: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
    },
    { tableName: 'digest_deliveries', timestamps: false },
  );

  const SettingChange = sequelize.define<SettingChangeRow>(
    'SettingChange',
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      key: { type: DataTypes.STRING, allowNull: false },
      oldValue: { type: DataTypes.JSONB, allowNull: true },
      newValue: { type: DataTypes.JSONB, allowNull: false },
      changedBy: { type: DataTypes.UUID, allowNull: true },
      changedAt: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
    },
    { tableName: 'setting_changes', timestamps: false },
  );

  Patient.belongsTo(User, { foreignKey: 'userId', as: 'user' });
  Doctor.belongsTo(User, { foreignKey: 'userId', as: 'user' });
  Doctor.belongsToMany(Specialization, {
    through: DoctorSpecialization,
    foreignKey: 'doctorId',
    otherKey: 'specializationId',
    as: 'specializations',
  });
  Specialization.belongsToMany(Doctor, {
    through: DoctorSpecialization,
    foreignKey: 'specializationId',
    otherKey: 'doctorId',
    as: 'doctors',
  });
  Appointment.belongsTo(Doctor, { foreignKey: 'doctorId', as: 'doctor' });
  Appointment.belongsTo(Patient, { foreignKey: 'patientId', as: 'patient' });

  return {
    User,
    Patient,
    Doctor,
    Specialization,
    DoctorSpecialization,
    AvailabilityRule,
    Location,
    VisitType,
    DoctorVisitType,
    AppointmentSeries,
    WaitlistEntry,
    WaitlistOffer,
    CalendarFeed,
    FhirClient,
    FhirToken,
    FhirAssertion,
    ExternalCalendar,
    ExternalBusy,
    TimeOff,
    Appointment,
    ChannelIdentity,
    Setting,
    Audit,
    LinkCode,
    ConversationReference,
    Outbox,
    ReminderDelivery,
    DigestDelivery,
    SettingChange,
  };
}

export type Models = ReturnType<typeof defineModels>;
export type AnyModel = ModelStatic<Model>;

/** A Sequelize instance with its models: what services are given. */
export interface Db {
  sequelize: Sequelize;
  models: Models;
  /** The hot reads, with bind parameters and (unless behind PgBouncer) planned once per connection. */
  read: PreparedRead;
  /** A transaction of a few round trips (the booking's), its statements planned once per connection unless behind PgBouncer. */
  pipelined: PipelinedTransactions;
}

/**
 * `namedStatements`: send the hot reads and the booking's statements as prepared statements. Off by default, as behind
 * PgBouncer in transaction pooling a name would not survive to the next transaction; the service
 * turns it on when DATABASE_PGBOUNCER is not set.
 */
export function createDb(sequelize: Sequelize, opts: { namedStatements?: boolean } = {}): Db {
  const named = opts.namedStatements ?? false;
  return {
    sequelize,
    models: defineModels(sequelize),
    read: createPreparedRead(sequelize, { named }),
    pipelined: createPipelinedTransactions(sequelize, { named }),
  };
}
