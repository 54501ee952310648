import type { Database, DatasetItemType, DatasetStatus } from '@atrium/db';
import type { Selectable } from 'kysely';

export interface DatasetView {
  id: string;
  name: string;
  description: string;
  status: DatasetStatus;
  tags: string[];
  createdBy: string | null;
  createdAt: Date;
  publishedAt: Date | null;
  itemCount: number;
}

export function datasetView(row: Selectable<Database['datasets']>): DatasetView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    status: row.status,
    tags: row.tags,
    createdBy: row.created_by,
    createdAt: row.created_at,
    publishedAt: row.published_at,
    itemCount: row.item_count,
  };
}

export interface DatasetItemView {
  id: string;
  datasetId: string;
  type: DatasetItemType;
  title: string;
  summary: string;
  tags: string[];
  payload: Record<string, unknown>;
  createdAt: Date;
}

export function itemView(row: Selectable<Database['dataset_items']>): DatasetItemView {
  return {
    id: row.id,
    datasetId: row.dataset_id,
    type: row.type,
    title: row.title,
    summary: row.summary,
    tags: row.tags,
    payload: row.payload,
    createdAt: row.created_at,
  };
}
