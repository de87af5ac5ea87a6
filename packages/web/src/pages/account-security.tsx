import { Layout } from '../components/layout'
import { useT } from '../i18n'

/** My Account > Security (F-SET-1…4, F-TOTP-1…4, F-DEV-2). */
export function AccountSecurity() {
  const t = useT()
  return (
    <Layout title={t('nav.security')}>
      <h1>{t('nav.security')}</h1>
    </Layout>
  )
}
