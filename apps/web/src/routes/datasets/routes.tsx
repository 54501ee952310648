import type { RouteObject } from 'react-router';
import { RequirePermission } from '../../auth/guards.tsx';
import { DatasetPage } from './dataset-page.tsx';
import { DatasetsListPage } from './datasets-list-page.tsx';
import { IngestWizard } from './ingest-wizard.tsx';
import { ItemPage } from './item-page.tsx';

/** Datasets (SPEC §5, §11): the list, a dataset's items, a viewer per item type, the ingest wizard. */
export const datasetsRoutes: RouteObject = {
  path: 'datasets',
  children: [
    {
      index: true,
      element: (
        <RequirePermission anyOf={['datasets.read', 'datasets.ingest']}>
          <DatasetsListPage />
        </RequirePermission>
      ),
    },
    {
      path: 'new',
      element: (
        <RequirePermission anyOf={['datasets.ingest']}>
          <IngestWizard />
        </RequirePermission>
      ),
    },
    {
      path: ':datasetId',
      element: (
        <RequirePermission anyOf={['datasets.read']}>
          <DatasetPage />
        </RequirePermission>
      ),
    },
    {
      path: ':datasetId/items/:itemId',
      element: (
        <RequirePermission anyOf={['datasets.read']}>
          <ItemPage />
        </RequirePermission>
      ),
    },
  ],
};
