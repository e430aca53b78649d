import type { ReactNode } from 'react';
import { LoadMore, type Paging } from './paged-list';

export interface Column<Row> {
  /** The column's heading, and the label its cells show where the table stacks on a narrow screen. */
  readonly header: string;
  readonly cell: (row: Row) => ReactNode;
  readonly className?: string;
}

/**
 * The console's list: a table of rows under column headings (the first column names the row), a last column of
 * actions when there are any, what to show instead when there are no rows, and the next page on request.
 */
export function DataTable<Row>({
  label,
  columns,
  rows,
  rowKey,
  rowAttributes,
  actions,
  empty,
  paging,
}: {
  /** Names the table for screen readers (and tests) where a page has more than one. */
  label?: string;
  columns: readonly Column<Row>[];
  rows: readonly Row[];
  rowKey: (row: Row) => string;
  /** `data-*` attributes that identify a row, for tests and scripts. */
  rowAttributes?: (row: Row) => Record<`data-${string}`, string>;
  actions?: (row: Row) => ReactNode;
  empty: ReactNode;
  paging?: Paging;
}) {
  return (
    <>
      {rows.length === 0 ? (
        empty
      ) : (
        <table className="table" aria-label={label}>
          <thead>
            <tr>
              {columns.map((column) => (
                <th key={column.header} scope="col">
                  {column.header}
                </th>
              ))}
              {actions && (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={rowKey(row)} {...rowAttributes?.(row)}>
                {columns.map((column, index) => (
                  <td
                    key={column.header}
                    data-label={column.header}
                    className={
                      [index === 0 ? 'primary-cell' : '', column.className ?? ''].join(' ').trim() || undefined
                    }
                  >
                    {column.cell(row)}
                  </td>
                ))}
                {actions && <td className="cell-actions">{actions(row)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {paging && <LoadMore {...paging} />}
    </>
  );
}
