/**
 * The one temporary-prefix builder ({@link Prefix}): lays out a register-runner prefix in a fresh
 * temp dir with the permissions an operator would use (dirs 0700, files 0600).
 *
 * @module
 */

import { dirname, join } from "node:path";
import { tempDir } from "./temp.ts";

/** Files of a test prefix, by path relative to it; executor files go under the instance dir. */
export interface PrefixSpec {
  /** Instance name (default `main`). */
  instance?: string;
  /** Template text; omitted means no template file. */
  template?: string;
  /** Executor files by name (`docker.toml`); omitted means no executor directory. */
  executors?: Record<string, string>;
  /** Other files (secrets, CA bundles) relative to the prefix. */
  files?: Record<string, string>;
}

/** A minimal valid template pointing at `https://gitlab.example.com` with a fake token file. */
export const MINIMAL_TEMPLATE = [
  "concurrent = 2",
  "",
  "[[client_configs]]",
  'url = "https://gitlab.example.com"',
  'personal_access_token_file = "pat"',
  "",
].join("\n");

/** A fake personal access token (never a real one). */
export const FAKE_PAT = "glpat-fake-0000";

/** The minimal template and its token file; spread it and add `executors`. */
export const MINIMAL_SITE: Readonly<PrefixSpec> = {
  template: MINIMAL_TEMPLATE,
  files: { pat: `${FAKE_PAT}\n` },
};

/** One GitLab in the template. */
export interface TemplateClient {
  url: string;
  personal_access_token?: string;
  personal_access_token_file?: string;
  registration_token?: string;
  registration_token_file?: string;
  /** Group runners of this group (full path, or id as a number). */
  group?: string | number;
  /** Project runners of this project (full path, or id as a number). */
  project?: string | number;
}

/** A prefix directory under test. */
export class Prefix {
  /** Absolute path of the prefix. */
  readonly dir: string;
  /** Instance name. */
  readonly instance: string;

  private constructor(dir: string, instance: string) {
    this.dir = dir;
    this.instance = instance;
  }

  /**
   * Creates a prefix (mode 0700) holding the files of `spec`. Without a spec it is empty but for
   * the executor directory of instance `main`.
   */
  static async create(spec: PrefixSpec = { executors: {} }): Promise<Prefix> {
    const prefix = new Prefix(await tempDir("prefix"), spec.instance ?? "main");
    if (spec.template !== undefined) {
      await prefix.writeFile(`config.template.${prefix.instance}.toml`, spec.template);
    }
    if (spec.executors !== undefined) {
      await Deno.mkdir(prefix.executorDir, { mode: 0o700 });
      await Deno.chmod(prefix.executorDir, 0o700);
      for (const [name, text] of Object.entries(spec.executors)) {
        await prefix.writeFile(join(prefix.instance, name), text);
      }
    }
    for (const [name, text] of Object.entries(spec.files ?? {})) {
      await prefix.writeFile(name, text);
    }
    return prefix;
  }

  /**
   * The same prefix directory seen as another service instance (its files are this prefix's:
   * {@link cleanup} of either removes both).
   */
  forInstance(instance: string): Prefix {
    return new Prefix(this.dir, instance);
  }

  /**
   * Copies every file and directory of this prefix into `to` (modes 0600 and 0700): a cloned VM
   * image's `/etc/gitlab-runner`.
   */
  async copyInto(to: Prefix, relative = ""): Promise<void> {
    for await (const e of Deno.readDir(join(this.dir, relative))) {
      const r = join(relative, e.name);
      if (e.isDirectory) {
        await Deno.mkdir(join(to.dir, r), { recursive: true, mode: 0o700 });
        await this.copyInto(to, r);
      } else if (e.isFile) {
        await Deno.copyFile(join(this.dir, r), join(to.dir, r));
        await Deno.chmod(join(to.dir, r), 0o600);
      }
    }
  }

  /** `{instance}/`. */
  get executorDir(): string {
    return join(this.dir, this.instance);
  }

  /** `config.template.{instance}.toml`. */
  get templateFile(): string {
    return join(this.dir, `config.template.${this.instance}.toml`);
  }

  /** `config.{instance}.toml`. */
  get outputFile(): string {
    return join(this.dir, `config.${this.instance}.toml`);
  }

  /** Writes the template with the given clients and global settings. */
  async writeTemplate(
    clients: TemplateClient[],
    globals = "concurrent = 4\ncheck_interval = 0\n",
  ): Promise<void> {
    const blocks = clients.map((c) =>
      "\n[[client_configs]]\n" +
      Object.entries(c).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join("\n") + "\n"
    );
    await this.writeFile(`config.template.${this.instance}.toml`, globals + blocks.join(""));
  }

  /** Writes an executor file `{instance}/{name}.toml`. */
  async writeExecutor(name: string, body: string): Promise<void> {
    await this.writeFile(`${this.instance}/${name}.toml`, body);
  }

  /** Removes an executor file. */
  async removeExecutor(name: string): Promise<void> {
    await Deno.remove(join(this.executorDir, `${name}.toml`));
  }

  /** Writes a file relative to the prefix with mode 0600, creating parent dirs with 0700. */
  async writeFile(relative: string, text: string): Promise<void> {
    const path = join(this.dir, relative);
    await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(path, text, { mode: 0o600 });
    await Deno.chmod(path, 0o600);
  }

  /** The output config, or undefined when absent. */
  async readOutput(): Promise<string | undefined> {
    try {
      return await Deno.readTextFile(this.outputFile);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
  }

  /** Removes the prefix now (it is removed at exit anyway). */
  async cleanup(): Promise<void> {
    await Deno.remove(this.dir, { recursive: true });
  }
}
