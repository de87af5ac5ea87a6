import { Route, Router, useLocation } from 'preact-iso'
import { useEffect } from 'preact/hooks'
import { useT } from '../../i18n'
import './admin.css'
import { ApplicationsPage } from './applications'
import { AuditLog } from './audit'
import { OrganisationPage } from './organisation'
import { Organisations } from './organisations'
import { AdminPage, useAdminScope } from './shared'
import { StaffUsers } from './staff'
import { UserPage } from './user'

/**
 * The admin console (F-POL-1…6): staff see every organisation, the staff users and the whole
 * audit log; an organisation admin goes straight to their own organisation.
 */
export function AdminRoutes() {
  return (
    <Router>
      <Route path="/" component={AdminHome} />
      <Route path="/organisations/:id" component={OrganisationPage} />
      <Route path="/organisations/:id/applications" component={ApplicationsPage} />
      <Route path="/users/:id" component={UserPage} />
      <Route path="/staff" component={StaffUsers} />
      <Route path="/audit" component={AuditLog} />
      <Route default component={AdminNotFound} />
    </Router>
  )
}

function AdminHome() {
  const { staff, organisationId } = useAdminScope()
  const { route } = useLocation()
  useEffect(() => {
    if (!staff && organisationId) route(`/admin/organisations/${organisationId}`, true)
  }, [staff, organisationId])
  return staff ? <Organisations /> : null
}

function AdminNotFound() {
  const t = useT()
  return (
    <AdminPage title={t('notFound.title')}>
      <p>{t('notFound.body')}</p>
    </AdminPage>
  )
}
