import { Layout } from '../../components/layout'
import { useT } from '../../i18n'

/** The admin console (F-POL-1…6). */
export function AdminRoutes() {
  const t = useT()
  return (
    <Layout title={t('admin.title')} wide>
      <h1>{t('admin.title')}</h1>
    </Layout>
  )
}
