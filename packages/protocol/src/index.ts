export * from './errors.js'
export * from './schemas.js'
export * from './codes.js'
