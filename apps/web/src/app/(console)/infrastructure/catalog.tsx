import Link from 'next/link';
import type { ReactNode } from 'react';
import { SelectField } from '../../../components/fields';
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

/** The region picker of a provision or snapshot form; regions the provider has closed are shown but disabled. */
export function RegionField({
  regions,
  region,
  onChange,
  error,
  autoFocus,
}: {
  regions: readonly Region[];
  region: string;
  onChange: (region: string) => void;
  error?: string;
  autoFocus?: boolean;
}) {
  return (
    <SelectField
      label="Region"
      name="region"
      value={region}
      onChange={(event) => onChange(event.target.value)}
      error={error}
      autoFocus={autoFocus}
    >
      {regions.map((item) => (
        <option key={item.slug} value={item.slug} disabled={!item.available}>
          {item.name} ({item.slug})
        </option>
      ))}
    </SelectField>
  );
}

/** The sizes offered in the chosen region (a size that names no region is offered everywhere). */
export function sizesIn(sizes: readonly Size[], region: string): Size[] {
  return sizes.filter((size) => size.regions.length === 0 || size.regions.includes(region));
}

export function SizeField({
  label,
  sizes,
  error,
  hint,
  children,
}: {
  label: string;
  sizes: readonly Size[];
  error?: string;
  hint?: string;
  /** A first choice before the sizes ("Smallest in the region"). */
  children?: ReactNode;
}) {
  return (
    <SelectField label={label} name="size" error={error} hint={hint}>
      {children}
      {sizes.map((item) => (
        <option key={item.slug} value={item.slug}>
          {sizeLabel(item)}
        </option>
      ))}
    </SelectField>
  );
}
