// s3rver.js: the S3 server of the stack (npm @20minutes/s3rver), with two
// changes made before its modules load:
//  - its one account gets the stack's own keys (PFO3_S3_ACCESS_KEY and
//    PFO3_S3_SECRET_KEY, from the environment: a command line is visible to
//    every local user) instead of the public default S3RVER/S3RVER;
//  - a request that is not signed is refused (403 AccessDenied): s3rver
//    lets anonymous requests read and write any bucket, so keys alone would
//    protect nothing.
'use strict';
const base = '@20minutes/s3rver/lib/';
const AWSAccount = require(base + 'models/account');
const S3Error = require(base + 'models/error');

const access = process.env.PFO3_S3_ACCESS_KEY;
const secret = process.env.PFO3_S3_SECRET_KEY;
if (!access || !secret) {
	console.error('s3rver.js: PFO3_S3_ACCESS_KEY and PFO3_S3_SECRET_KEY must be set');
	process.exit(2);
}
AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
AWSAccount.DUMMY_ACCOUNT.createKeyPair(access, secret);

// routes.js builds the authentication middleware when it loads: replace
// the module's export in the cache first.
const authPath = require.resolve(base + 'middleware/authentication');
const authentication = require(authPath);
require.cache[authPath].exports = () => {
	const check = authentication();
	return async function signedOnly(ctx, next) {
		const signed = 'authorization' in ctx.headers ||
			'Signature' in ctx.query || 'X-Amz-Algorithm' in ctx.query;
		if (!signed && ctx.method !== 'OPTIONS')
			throw new S3Error('AccessDenied', 'Access Denied: requests must be signed');
		return check(ctx, next);
	};
};

require(base + 'cli').parseAsync(process.argv).catch((e) => {
	console.error(e.message);
	process.exit(1);
});
