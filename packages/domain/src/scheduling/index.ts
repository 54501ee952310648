export * from './built-in-handlers.ts';
export * from './describe.ts';
export * from './engine.ts';
export * from './events.ts';
export * from './handlers.ts';
export * from './lease.ts';
export * from './plan.ts';
export * from './quarantine-notice.ts';
export * from './schedule-commands.ts';
// The settings module's row mapping stays internal to the scheduling context.
export {
  type CreateScheduleInput,
  SCHEDULE_DEFAULTS,
  SCHEDULE_NAME,
  type ScheduleSettingName,
  type UpdateScheduleInput,
  ZCreateScheduleInput,
  ZUpdateScheduleInput,
} from './schedule-settings.ts';
export * from './schedule-views.ts';
export * from './timing.ts';
