import { LoadingCard } from '../../components/loading-card';

export default function Loading() {
  return (
    <>
      <div className="page-header">
        <div className="skeleton" style={{ width: 220, height: 26 }} />
      </div>
      <LoadingCard label="Loading" />
    </>
  );
}
