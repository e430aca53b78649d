import Link from 'next/link';
import type { ApiResponse } from '../../../lib/api';

/** A provider's catalogue, as `GET /v1/providers/{provider}/regions` and `/sizes` answer it. */
export type Region = ApiResponse<'listRegions'>['items'][number];
export type Size = ApiResponse<'listSizes'>['items'][number];

export function sizeLabel(size: Size): string {
  const memory = size.memoryMb >= 1024 ? `${size.memoryMb / 1024} GB` : `${size.memoryMb} MB`;
  const price = size.priceMonthly > 0 ? `, $${size.priceMonthly}/month` : '';
  return `${size.slug} (${size.vcpus} vCPU, ${memory}, ${size.diskGb} GB disk${price})`;
}

/**
 * The provider's catalogue could not be loaded: the API's reason (before a token is saved it says to save one)
 * and where the token goes.
 */
export function CatalogProblem({ message }: { message: string }) {
  return (
    <div className="form-error" role="alert">
      <p>{message}</p>
      <p>
        Provider tokens are saved under <Link href="/settings/providers">Settings → Cloud providers</Link>.
      </p>
    </div>
  );
}
