import { area } from './area'

/** The admin console (F-POL-1…6). */
export const admin = area(
  {
    'admin.title': 'Administration',
  },
  {
    'admin.title': 'Beheer',
  },
)
