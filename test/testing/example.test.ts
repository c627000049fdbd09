/**
 * Runs the user-facing example examples/testing-kit (written against `prisma-zd/testing`
 * only) in the suite, against the run's embedded PostgreSQL.
 */
import { testServer } from '../support/db.js';

process.env.TEST_DATABASE_URL = testServer().url();
await import('../../examples/testing-kit/product-currency.test.js');
