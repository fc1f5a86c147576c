// Drops from each resource's DependsOn the resources its properties already name (Ref, Fn::GetAtt,
// Fn::Sub), as the framework adds such pairs: CloudFormation orders those by the reference anyway,
// and a strict validator (cfn-lint W3005, which moto's CloudFormation runs) refuses the duplicate.
function named(value, names = new Set()) {
  if (Array.isArray(value)) for (const item of value) named(item, names);
  else if (value !== null && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      if (key === "Ref") names.add(inner);
      else if (key === "Fn::GetAtt") names.add(Array.isArray(inner) ? inner[0] : String(inner).split(".")[0]);
      else if (key === "Fn::Sub") for (const [, name] of JSON.stringify(inner).matchAll(/\$\{(\w+)/g)) names.add(name);
      if (key !== "Fn::If") named(inner, names); // a branch may not be taken: it implies nothing
    }
  }
  return names;
}

module.exports = class ImpliedDependsOn {
  constructor(serverless) {
    const resources = () => serverless.service.provider.compiledCloudFormationTemplate.Resources;
    this.hooks = {
      // After resources.extensions are merged, before the template is validated and written.
      "before:aws:package:finalize:saveServiceState": () => {
        for (const resource of Object.values(resources())) {
          if (resource.DependsOn === undefined) continue;
          const implied = named(resource.Properties);
          const kept = [resource.DependsOn].flat().filter((name) => !implied.has(name));
          if (kept.length > 0) resource.DependsOn = kept;
          else delete resource.DependsOn;
        }
      },
    };
  }
};
