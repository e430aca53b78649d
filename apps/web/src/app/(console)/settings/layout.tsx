import type { ReactNode } from 'react';
import { PageHeader } from '../../../components/page-header';
import { SettingsTabs } from './settings-tabs';

export default function SettingsLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <PageHeader
        title="Settings"
        description="Who is in this workspace, the tokens programs use, the cloud accounts servers run on, and who changed what."
      />
      <SettingsTabs />
      {children}
    </>
  );
}
