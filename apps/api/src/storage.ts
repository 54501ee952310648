import { ExternalServiceError } from '@atrium/domain/errors';
import type { ObjectStorage } from '@atrium/domain/platform/object-storage';
import type { Services } from './services.ts';

/** The object storage, or 503 UNAVAILABLE when none is configured (production without a signing key or S3). */
export function requireStorage(services: Pick<Services, 'objectStorage'>): ObjectStorage {
  if (!services.objectStorage)
    throw new ExternalServiceError(
      'UNAVAILABLE',
      'object-storage',
      'File storage is not configured on this server',
    );
  return services.objectStorage;
}
