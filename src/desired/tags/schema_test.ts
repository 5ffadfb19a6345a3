import { deepStrictEqual as assertEquals, match, ok, rejects } from "node:assert/strict";
import { InputError } from "../../kernel/errors.ts";
import { loadTagSchema } from "./schema.ts";

const EXAMPLE = new URL("../../../examples/tag_schema.json", import.meta.url).pathname;

async function schemaFile(schema: unknown): Promise<string> {
  const file = await Deno.makeTempFile({ prefix: "register-runner-schema-", suffix: ".json" });
  await Deno.writeTextFile(file, typeof schema === "string" ? schema : JSON.stringify(schema));
  return file;
}

/** The LLNL sample tag_schema.json, as the Python tool shipped it. */
const LLNL = {
  $id: "https://example.com/tag_schema.json",
  $schema: "http://json-schema.org/schema#",
  title: "tag_schema",
  type: "object",
  properties: {
    hostname: { type: "string" },
    clustername: { type: "string" },
    os: { type: "string", enum: ["toss", "rhel8", "centos8"] },
    architecture: { type: "string", enum: ["x86", "aarch64", "ppc64", "arm64"] },
    executor: { type: "string", enum: ["shell", "batch", "docker", "custom"] },
    "micro-architecture": { type: "string" },
  },
  required: ["hostname", "clustername", "os", "architecture", "executor"],
  "custom-name": "custom",
};

const good = {
  hostname: "node7",
  instance: "main",
  executor_type: "batch",
  env: [],
  architecture: "x86_64",
  "micro-architecture": ["zen2", "zen"],
  scheduler: "slurm",
};

Deno.test("tag schema: the shipped example accepts a host and names what breaks it", async () => {
  const schema = await loadTagSchema(EXAMPLE);
  assertEquals(schema.customName, "custom");
  assertEquals(schema.warnings, []);
  ok(schema.properties.includes("micro-architecture"));
  assertEquals(schema.validate(good), []);
  const { scheduler: _, ...noScheduler } = good;
  assertEquals(schema.validate(noScheduler), [
    'required property "scheduler" is missing (rule: required at #/then/required)',
  ]);
  assertEquals(schema.validate({ ...good, executor_type: "shell", extra: 1 }).length, 0);
  assertEquals(schema.validate({ ...good, architecture: "x86" }), [
    'property "architecture" is "x86", which is not one of "x86_64", "aarch64", "ppc64le" (rule: enum at #/properties/architecture/enum)',
  ]);
  assertEquals(schema.validate({ ...good, "micro-architecture": ["zen2", 3] }), [
    'property "micro-architecture[1]" is 3: must be string (rule: type at #/properties/micro-architecture/items/type)',
  ]);
});

Deno.test("tag schema: the LLNL sample loads (custom-name, 'schema#') and keeps its meaning", async () => {
  const schema = await loadTagSchema(await schemaFile(LLNL));
  assertEquals(schema.customName, "custom");
  assertEquals(schema.warnings, []);
  assertEquals(schema.enums.map((e) => e.property), ["os", "architecture", "executor"]);
  const problems = schema.validate({ hostname: "n", architecture: "x86_64", os: "toss" });
  assertEquals(problems.length, 3, problems.join("\n"));
  match(problems[0]!, /required property "clustername" is missing/);
  match(problems[1]!, /required property "executor" is missing/);
  match(problems[2]!, /property "architecture" is "x86_64", which is not one of "x86", "aarch64"/);
});

Deno.test("tag schema: unknown keywords are ignored with a warning, formats are not checked", async () => {
  const schema = await loadTagSchema(
    await schemaFile({
      type: "object",
      properties: { hostname: { type: "string", format: "hostname", minLenght: 3 } },
      "x-owner": "hpc",
    }),
  );
  assertEquals(schema.customName, "custom");
  assertEquals(schema.warnings.length, 2, schema.warnings.join("\n"));
  match(schema.warnings.join("\n"), /unknown keyword: "minLenght" \(ignored\)/);
  assertEquals(schema.validate({ hostname: "not a host name!" }), []);
});

Deno.test("tag schema: 2020-12 and 2019-09 dialects", async () => {
  for (const uri of ["2020-12", "2019-09"]) {
    const schema = await loadTagSchema(
      await schemaFile({
        $schema: `https://json-schema.org/draft/${uri}/schema`,
        type: "object",
        properties: { env: { type: "array", prefixItems: [{ const: "a" }] } },
        dependentRequired: { gpu: ["os"] },
      }),
    );
    assertEquals(schema.validate({ gpu: "x" }).length, 1, uri);
  }
});

Deno.test("tag schema: bad files fail with the file and what to do", async () => {
  const cases: Array<[unknown, RegExp]> = [
    ["{ not json", /is not valid JSON/],
    [["type", "object"], /must be a JSON object/],
    [
      { $schema: "http://json-schema.org/draft-04/schema#" },
      /"http:\/\/json-schema.org\/draft-04\/schema#" is not a supported/,
    ],
    [{ type: "objet" }, /is not a valid JSON Schema: schema is invalid: data\/type/],
    [{ $ref: "other.json" }, /can't resolve reference other\.json/],
    [{ type: "object", "custom-name": "a b" }, /"custom-name" must be a non-empty string/],
  ];
  for (const [content, message] of cases) {
    const file = await schemaFile(content);
    await rejects(loadTagSchema(file), (error: unknown) => {
      ok(error instanceof InputError, String(error));
      match(error.message, new RegExp(`^tag schema ${file}: `));
      match(error.message, message);
      ok(error.hint !== undefined);
      return true;
    });
  }
  await rejects(loadTagSchema("/nonexistent/tag_schema.json"), /does not exist/);
});

Deno.test("tag schema: LLNL's $schema spellings and unknown meta-schemas load, as in jsonschema", async () => {
  for (const uri of ["http://json-schema.org/schema/", "http://json-schema.org/schema#"]) {
    const schema = await loadTagSchema(await schemaFile({ ...LLNL, $schema: uri }));
    assertEquals(schema.warnings, [], uri);
    const ok = {
      hostname: "n",
      clustername: "c",
      os: "toss",
      architecture: "x86",
      executor: "shell",
    };
    assertEquals(schema.validate(ok), [], uri);
    assertEquals(schema.validate({ ...ok, os: "windows" }).length, 1, uri);
  }
  const unknown = await loadTagSchema(
    await schemaFile({ ...LLNL, $schema: "https://example.com/our-meta-schema" }),
  );
  match(
    unknown.warnings.join("\n"),
    /"https:\/\/example\.com\/our-meta-schema" is not a JSON Schema dialect register-runner knows; validating it as draft-07/,
  );
  assertEquals(unknown.properties.includes("os"), true);
  await rejects(loadTagSchema(await schemaFile({ $schema: 7 })), /\$schema must be a string/);
});
