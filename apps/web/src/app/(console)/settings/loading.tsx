import { LoadingCard } from '../../../components/loading-card';

export default function Loading() {
  return <LoadingCard label="Loading settings" />;
}
