import { LoadingCard } from '../../../components/loading-card';
import { PageHeader } from '../../../components/page-header';

export default function Loading() {
  return (
    <>
      <PageHeader title="Deploy configs" />
      <LoadingCard label="Loading deploy configs" />
    </>
  );
}
