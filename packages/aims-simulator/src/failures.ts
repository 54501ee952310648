/**
 * A refusal AIMS reports in its envelope: the HTTP status and `responseMessage`, which AIMS repeats as
 * `responseCode` (a string). The wording follows the OpenAPI document: 401 "Unauthorized",
 * 403 "License Error", 405 "Parameter is invalid" (AIMS's code for any bad parameter or body).
 */
export class AimsFailure extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'AimsFailure';
    this.status = status;
  }
}

export const unauthorized = () => new AimsFailure(401, 'Unauthorized');

export const licenseError = (detail?: string) =>
  new AimsFailure(403, detail ? `License Error / ${detail}` : 'License Error');

export const invalidParameter = (detail: string) => new AimsFailure(405, `Parameter is invalid: ${detail}`);

export const invalidStoreCode = () => new AimsFailure(405, 'Invalid Store Code');

/** A control-API request the simulator cannot carry out (bad provisioning, bad fault values). */
export class SimulatorConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulatorConfigError';
  }
}
