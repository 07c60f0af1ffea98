/**
 * Ocean compute job status codes and their exact wire texts (reference/ocean-compute.md §3.1).
 * Texts follow the operator-engine / Provider generation where the two generations differ, and keep
 * Ocean's quirks byte for byte (`Running algorithm ` ends with a space).
 */
export const JobStatus = {
  Queued: 1,
  ExpiredInQueue: 2,
  Started: 10,
  PullImageFailed: 11,
  BuildingImage: 12,
  BuildImageFailed: 13,
  ImageVulnerable: 14,
  ConfiguringVolumes: 20,
  VolumeCreationFailed: 21,
  ContainerCreationFailed: 22,
  Provisioning: 30,
  DataProvisioningFailed: 31,
  AlgorithmProvisioningFailed: 32,
  DataUploadFailed: 33,
  Running: 40,
  RunFailed: 41,
  DiskQuotaExceeded: 42,
  FilteringResults: 50,
  PublishingResults: 60,
  OutputsFailed: 61,
  ResultsUploadFailed: 62,
  Finished: 70,
} as const;

export type JobStatusCode = (typeof JobStatus)[keyof typeof JobStatus];

export const STATUS_TEXT: Record<JobStatusCode, string> = {
  1: 'Warming up',
  2: 'Job expired in queue',
  10: 'Job started',
  11: 'Pulling algorithm image failed',
  12: 'Building algorithm image',
  13: 'Building algorithm image failed',
  14: 'Image has vulnerabilities',
  20: 'Configuring volumes',
  21: 'Volume creation failed',
  22: 'Container creation failed',
  30: 'Provisioning success',
  31: 'Data provisioning failed',
  32: 'Algorithm provisioning failed',
  33: 'Data upload to container failed',
  40: 'Running algorithm ',
  41: 'Failed to run algorithm',
  42: 'Error: disk quota exceeded',
  50: 'Filtering results',
  60: 'Publishing results',
  61: 'Failed to get outputs folder from container',
  62: 'Failed to upload results to storage',
  70: 'Job finished',
};

const RUNNING = new Set<number>([
  JobStatus.Started,
  JobStatus.BuildingImage,
  JobStatus.ConfiguringVolumes,
  JobStatus.Provisioning,
  JobStatus.Running,
  JobStatus.FilteringResults,
  JobStatus.PublishingResults,
]);

export function statusText(code: number): string {
  const text = STATUS_TEXT[code as JobStatusCode];
  if (text === undefined) throw new Error(`unknown job status ${code}`);
  return text;
}

/** Terminal = finished or any failure code; a terminal job never changes status again. */
export function isTerminal(code: number): boolean {
  return code !== JobStatus.Queued && !RUNNING.has(code);
}

/** The failure code a job ends at when it can no longer make progress at `status` (lost runner, deadline). */
export function failureCodeFor(status: number): JobStatusCode {
  if (status === JobStatus.Queued) return JobStatus.ExpiredInQueue;
  if (status === JobStatus.PublishingResults) return JobStatus.OutputsFailed;
  return JobStatus.RunFailed;
}
