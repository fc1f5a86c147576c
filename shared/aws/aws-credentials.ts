/**
 * The AWS credentials of a function are the ones Lambda puts in its environment for the execution
 * role (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); serverless-offline, `npm start`
 * and the tests set the same variables. serverless.yml aliases the SDK's default chain
 * (@aws-sdk/credential-provider-node: SSO, INI files, STS, IMDS, some 135 KB minified) to this module,
 * so a bundle carries only the provider Lambda needs. Throws CredentialsProviderError when the
 * variables are missing.
 */
export { fromEnv as defaultProvider } from "@aws-sdk/credential-provider-env";
