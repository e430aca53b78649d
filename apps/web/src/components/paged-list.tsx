'use client';

import { useState } from 'react';

interface Page<Item> {
  readonly items: readonly Item[];
  readonly nextCursor: string | null;
}

/**
 * A list that starts with the server-rendered first page and loads the next ones on request: one page at a
 * time, and never the same item twice (live events may have added it already).
 */
export function usePagedList<Item extends { readonly id: string }>(
  firstPage: Page<Item>,
  fetchPage: (cursor: string) => Promise<Page<Item>>,
  reportFailure: (error: unknown) => void,
) {
  const [items, setItems] = useState<readonly Item[]>(firstPage.items);
  const [nextCursor, setNextCursor] = useState(firstPage.nextCursor);
  const [loadingMore, setLoadingMore] = useState(false);

  async function loadMore(): Promise<void> {
    if (!nextCursor || loadingMore) return;
    setLoadingMore(true);
    try {
      const page = await fetchPage(nextCursor);
      setItems((current) => [
        ...current,
        ...page.items.filter((item) => !current.some((known) => known.id === item.id)),
      ]);
      setNextCursor(page.nextCursor);
    } catch (error) {
      reportFailure(error);
    } finally {
      setLoadingMore(false);
    }
  }

  return { items, setItems, paging: { nextCursor, loadingMore, loadMore } };
}

/** Where a list is in its pages: `DataTable` offers "Load more" while there is a next one. */
export interface Paging {
  readonly nextCursor: string | null;
  readonly loadingMore: boolean;
  readonly loadMore: () => Promise<void>;
}

export function LoadMore({ nextCursor, loadingMore, loadMore }: Paging) {
  if (!nextCursor) return null;
  return (
    <div className="load-more">
      <button type="button" className="button" disabled={loadingMore} onClick={() => void loadMore()}>
        {loadingMore ? 'Loading…' : 'Load more'}
      </button>
    </div>
  );
}
