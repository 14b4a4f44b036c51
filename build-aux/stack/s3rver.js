// s3rver.js: the S3 server of the stack (npm @20minutes/s3rver), with three
// changes made before its modules load:
//  - its one account gets the stack's own keys (PFO3_S3_ACCESS_KEY and
//    PFO3_S3_SECRET_KEY, from the environment: a command line is visible to
//    every local user) instead of the public default S3RVER/S3RVER;
//  - a request that is not signed is refused (403 AccessDenied): s3rver
//    lets anonymous requests read and write any bucket, so keys alone would
//    protect nothing;
//  - a PUT whose body did not arrive whole leaves no object, as in S3
//    (below).
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

// S3 stores nothing of a PUT whose body did not arrive whole (the client
// aborted, the connection broke); s3rver writes the body straight to the
// object's file and leaves what came.  Remove it when the PUT fails, so
// that the stack's S3 keeps S3's promise: a PUT cut mid-body leaves no
// object.
const FilesystemStore = require(base + 'stores/filesystem');
const putObject = FilesystemStore.prototype.putObject;
FilesystemStore.prototype.putObject = async function putWhole(object) {
	try {
		return await putObject.call(this, object);
	} catch (err) {
		await this.deleteObject(object.bucket, object.key).catch(() => {});
		throw err;
	}
};

require(base + 'cli').parseAsync(process.argv).catch((e) => {
	console.error(e.message);
	process.exit(1);
});
