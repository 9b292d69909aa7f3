/**
 * A plain data table. Rows are components that re-render only when their row object (or the
 * selection) changes, so a page refresh that keeps most objects, or a clock tick inside a
 * cell, does not redo hundreds of rows.
 *
 * @module
 */
import { Component, type ComponentChildren } from 'preact';

export interface Column<T> {
  title: string;
  render: (row: T) => ComponentChildren;
  /** Class of the column's cells (`num` right-aligns numbers). */
  class?: string;
}

interface RowProps<T> {
  row: T;
  columns: Column<T>[];
  selected: boolean;
  onClick?: (row: T) => void;
  rowKey: string;
}

class Row<T> extends Component<RowProps<T>> {
  override shouldComponentUpdate(next: RowProps<T>): boolean {
    return next.row !== this.props.row || next.selected !== this.props.selected || next.columns !== this.props.columns;
  }
  override render({ row, columns, selected, onClick, rowKey }: RowProps<T>) {
    return (
      <tr data-key={rowKey} class={`${selected ? 'selected' : ''}${onClick ? ' clickable' : ''}`} onClick={onClick ? () => onClick(row) : undefined}>
        {columns.map((c) => (
          <td class={c.class}>{c.render(row)}</td>
        ))}
      </tr>
    );
  }
}

export interface TableProps<T> {
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  onRowClick?: (row: T) => void;
  selectedKey?: string | null;
  empty?: ComponentChildren;
  label?: string;
}

/** `rows` under `columns`; `empty` when there are none. Keep `columns` stable (module constant or memo). */
export function Table<T>({ columns, rows, rowKey, onRowClick, selectedKey, empty, label }: TableProps<T>) {
  return (
    <table class="data" aria-label={label}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th class={c.class}>{c.title}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colSpan={columns.length} class="muted">
              {empty ?? 'Nothing to show.'}
            </td>
          </tr>
        ) : (
          rows.map((row) => {
            const key = rowKey(row);
            return <Row key={key} rowKey={key} row={row} columns={columns} selected={key === selectedKey} onClick={onRowClick} />;
          })
        )}
      </tbody>
    </table>
  );
}
