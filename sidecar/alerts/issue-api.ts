// The few GitHub issue calls the alert sink makes, behind a narrow interface, done with Octokit.
// Imported only when spec.alerts.github is set (Octokit costs resident memory).
import { Octokit } from '@octokit/rest';

export interface OpenIssue {
  number: number;
  body: string;
}

export interface IssueApi {
  /** Open issues (not pull requests) carrying all of `labels`. */
  listOpen(labels: string[]): Promise<OpenIssue[]>;
  create(title: string, body: string, labels: string[]): Promise<number>;
  comment(issue: number, body: string): Promise<void>;
}

export interface GithubRepo {
  owner: string;
  repo: string;
  apiUrl?: string | undefined;
}

const REQUEST_TIMEOUT_MS = 15_000;

export function createOctokitIssueApi(repo: GithubRepo, token: string, userAgent: string): IssueApi {
  const octokit = new Octokit({ auth: token, userAgent, ...(repo.apiUrl ? { baseUrl: repo.apiUrl.replace(/\/+$/, '') } : {}) });
  const { owner, repo: name } = repo;
  const request = () => ({ signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return {
    async listOpen(labels) {
      const issues = await octokit.paginate(octokit.rest.issues.listForRepo, { owner, repo: name, state: 'open', labels: labels.join(','), per_page: 100, request: request() });
      return issues.filter((issue) => !issue.pull_request).map((issue) => ({ number: issue.number, body: issue.body ?? '' }));
    },
    async create(title, body, labels) {
      const { data } = await octokit.rest.issues.create({ owner, repo: name, title, body, labels, request: request() });
      return data.number;
    },
    async comment(issue, body) {
      await octokit.rest.issues.createComment({ owner, repo: name, issue_number: issue, body, request: request() });
    },
  };
}
