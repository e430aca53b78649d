/** A placeholder with the rough shape of a list, while a page's data loads. */
export function LoadingCard({ rows = 4, label }: { rows?: number; label: string }) {
  return (
    <div className="card" aria-busy="true" aria-label={label}>
      {Array.from({ length: rows }, (_, index) => (
        <div key={index} className="skeleton skeleton-line" style={{ width: `${90 - index * 12}%` }} />
      ))}
    </div>
  );
}
