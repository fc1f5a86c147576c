// Gives each function an IAM role of its own, <Function>Role, from the IAM statements its
// `permissions` list in serverless.yml: Lambda alone may assume it, and it may write to the
// function's own log group (which the framework creates: no logs:CreateLogGroup) and do what the
// list says, nothing else. A function that names a `role` itself keeps that role.
const VERSION = "2012-10-17";
const TRUST = { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" };

module.exports = class FunctionRoles {
  constructor(serverless) {
    serverless.configSchemaHandler.defineFunctionProperties("aws", {
      properties: { permissions: { type: "array", items: { type: "object" } } },
    });
    this.hooks = {
      // Before the framework looks for functions without a role (none left: no shared role).
      "before:package:setupProviderConfiguration": () => {
        const { service } = serverless;
        const provider = serverless.getProvider("aws");
        service.resources ??= {};
        service.resources.Resources ??= {};
        for (const name of service.getAllFunctions()) {
          const fn = service.getFunction(name);
          if (fn.role !== undefined) continue;
          fn.role = `${provider.naming.getNormalizedFunctionName(name)}Role`;
          const ownLogGroup = { "Fn::GetAtt": [provider.naming.getLogGroupLogicalId(name), "Arn"] };
          const logs = {
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: ownLogGroup,
          };
          service.resources.Resources[fn.role] = {
            Type: "AWS::IAM::Role",
            Properties: {
              Description: `${name} of ${service.service} (${provider.getStage()}), nothing else`,
              AssumeRolePolicyDocument: { Version: VERSION, Statement: [TRUST] },
              Policies: [
                {
                  PolicyName: name,
                  PolicyDocument: { Version: VERSION, Statement: [...(fn.permissions ?? []), logs] },
                },
              ],
            },
          };
        }
      },
    };
  }
};
