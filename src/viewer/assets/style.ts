/** The viewer's stylesheet: light and dark following the system, readable from phone width up. */
export const STYLE = `
:root{--bg:#fff;--fg:#1d2127;--muted:#66707c;--line:#e3e6ea;--card:#f7f8fa;--accent:#2f6feb;--user:#eef4ff;--err:#c62828;--errbg:#fdecec;--ok:#1b7f3b;--add:#e6ffec;--del:#ffebe9;--code:#f3f4f6;
--k1:#a626a4;--k2:#50a14f;--k3:#986801;--k4:#4078f2;--k5:#e45649;--k6:#0184bc;--mark:#ffe98a}
@media (prefers-color-scheme:dark){:root{--bg:#0f1217;--fg:#dde2e8;--muted:#8b96a3;--line:#262c35;--card:#161b22;--accent:#6ea0ff;--user:#14203a;--err:#ff7b72;--errbg:#3a1618;--ok:#56d364;--add:#12301d;--del:#3b1618;--code:#11161c;
--k1:#d2a8ff;--k2:#a5d6a7;--k3:#e3b341;--k4:#79c0ff;--k5:#ff7b72;--k6:#56d4dd;--mark:#6b5600}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
main{max-width:980px;margin:0 auto;padding:12px 16px 80px}
.top{position:sticky;top:0;z-index:5;display:flex;gap:12px;align-items:center;padding:8px 16px;background:var(--bg);border-bottom:1px solid var(--line)}
.brand{font-weight:700;color:var(--fg)}.where{color:var(--muted);flex:1;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.live{color:var(--muted);font-size:12px}.live.on{color:var(--ok)}
.top{flex-wrap:wrap}.search{flex:0 1 340px;min-width:0;margin:0}
.search input{width:100%;font:inherit;padding:4px 10px;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg)}
@media (max-width:600px){.top{gap:6px 12px}.search{order:9;flex:1 1 100%}}
.results{list-style:none;margin:0;padding:0}
.result{border-bottom:1px solid var(--line)}.result.focus,.result:focus-within{background:var(--card)}
.result-link{display:block;padding:10px 6px;color:var(--fg)}.result-link:hover{text-decoration:none;background:var(--card)}
.result-head{display:flex;flex-wrap:wrap;gap:2px 8px;align-items:baseline}.result-head .when{font-size:13px;color:var(--muted);white-space:nowrap}
.result-title{font-weight:600;overflow-wrap:anywhere;min-width:0}
.snippet{display:block;font-size:14px;color:var(--muted);overflow-wrap:anywhere;margin-top:2px}
mark{background:var(--mark);color:var(--fg);border-radius:2px;padding:0 1px}
.search-filters input[type=date]{flex:0 1 auto}
h1{font-size:1.4em;margin:.4em 0;overflow-wrap:anywhere}h2{font-size:1.1em}
.muted{color:var(--muted)}code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.badge{display:inline-block;padding:0 6px;border-radius:9px;border:1px solid var(--line);font-size:12px;color:var(--muted)}
.badge.archived,.badge.reverted{color:var(--k3)}.badge.agent{color:var(--accent)}.badge.kind-subagent{color:var(--k1)}.badge.kind-summary{color:var(--k2)}
.badge.create,.badge.applied{color:var(--ok)}.badge.delete{color:var(--err)}
.filters{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0 12px}.filters input,.filters select,.filters button{font:inherit;padding:4px 8px;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg);min-width:0}
.filters input{flex:1 1 140px}
.threads{list-style:none;margin:0;padding:0}
.row{border-bottom:1px solid var(--line)}.row.focus,.row:focus-within{background:var(--card)}
.row-link{display:block;padding:10px 6px;color:var(--fg)}.row-link:hover{text-decoration:none;background:var(--card)}
.row-title{display:block;font-weight:600;overflow-wrap:anywhere}
.row-meta{display:flex;flex-wrap:wrap;gap:4px 10px;font-size:13px;color:var(--muted);margin-top:2px;align-items:center}
.row-meta .cost{color:var(--fg)}.cwd{overflow-wrap:anywhere}.when{margin-left:auto}
.sentinel{padding:10px;color:var(--muted);text-align:center;list-style:none}
.empty{color:var(--muted)}
.thread-head{border-bottom:1px solid var(--line);padding-bottom:8px;margin-bottom:8px}
.ids{font-size:13px;overflow-wrap:anywhere}
.usage-block{font-size:14px;margin:4px 0}.usage-block ul{margin:2px 0;padding-left:20px;color:var(--muted);font-size:13px}
.relations{margin:6px 0;padding-left:20px;font-size:14px}
.map h2{margin:.6em 0 .2em}.map-scroll{overflow-x:auto}.thread-map{display:block;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.map-node rect{fill:var(--card);stroke:var(--line);stroke-width:1.2}a.map-node:hover rect,a.map-node:focus rect{stroke:var(--accent);stroke-width:2}a.map-node:focus{outline:none}
.map-node.centre rect{fill:var(--user);stroke:var(--accent);stroke-width:2}.map-node.archived rect{stroke-dasharray:5 3}.map-node.missing rect,.map-node.more rect{fill:none;stroke-dasharray:2 3}
.map-node.more .map-title{fill:var(--accent)}
.map-title{font-size:13px;font-weight:600;fill:var(--fg)}.map-sub{font-size:11px;fill:var(--muted)}.map-node.archived .map-sub{fill:var(--k3)}
.map-edge path{fill:none;stroke:var(--muted);stroke-width:1.3}.map-arrowhead{fill:var(--muted)}.map-label{font-size:11px;fill:var(--muted)}
.map-edge[data-rel~=subagent] path,.map-edge[data-rel~=parent] path{stroke:var(--k1)}.map-edge[data-rel~=summary] path,.map-edge[data-rel~=summary-of] path{stroke:var(--k2)}
.map-edge[data-rel~=handoff] path,.map-edge[data-rel~=handoff-from] path{stroke:var(--k4)}.map-edge[data-rel~=fork] path,.map-edge[data-rel~=forked-from] path{stroke:var(--k3)}
a.map-edge-link .map-label{fill:var(--accent);text-decoration:underline}
.version{display:flex;gap:10px;align-items:center;flex-wrap:wrap;font-size:13px;color:var(--muted);margin-top:6px}.version input{flex:1 1 200px}
.banner{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:6px 10px;font-size:14px}
.msg{border:1px solid var(--line);border-radius:8px;padding:8px 12px;margin:10px 0;background:var(--bg);scroll-margin-top:60px;outline:none}
.msg.role-user{background:var(--user)}.msg.role-system{border-style:dashed}
.msg.focus{box-shadow:0 0 0 2px var(--accent)}.msg.paired{display:none}
@media (max-width:600px){.msg{scroll-margin-top:100px}}
.msg>header{display:flex;flex-wrap:wrap;gap:4px 10px;align-items:baseline;font-size:12px;color:var(--muted)}
.msg .role{font-weight:700;text-transform:uppercase;letter-spacing:.04em;color:var(--fg)}.permalink{color:var(--muted)}
.md{overflow-wrap:anywhere}.md p{margin:.4em 0}.md pre,pre.code{background:var(--code);padding:8px 10px;border-radius:6px;overflow:auto;max-height:480px}
.md :not(pre)>code{background:var(--code);padding:1px 4px;border-radius:4px}
.md table{border-collapse:collapse;display:block;overflow:auto}.md td,.md th{border:1px solid var(--line);padding:3px 6px}
.md blockquote{margin:.4em 0;padding-left:10px;border-left:3px solid var(--line);color:var(--muted)}
.thinking,.tool-call{border:1px solid var(--line);border-radius:6px;margin:6px 0;background:var(--card)}
.thinking>summary,.tool-call>summary{cursor:pointer;padding:4px 8px;font-size:13px;color:var(--muted);overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.thinking>.md{padding:0 10px;font-size:14px;color:var(--muted)}
.tool-name{font-weight:600;color:var(--fg);font-family:ui-monospace,monospace}.tool-brief{font-family:ui-monospace,monospace}
.tool-status{margin-left:8px}.tool-call.done .tool-status::before{content:"✓";color:var(--ok)}.tool-call.is-error .tool-status::before{content:"✗ error";color:var(--err)}
.tool-call.is-error{border-color:var(--err)}
.tool-io{display:grid;grid-template-columns:1fr 1fr;gap:8px;padding:0 8px 8px}.tool-io>div{min-width:0}
@media (max-width:700px){.tool-io{grid-template-columns:1fr}}
.label{font-size:11px;text-transform:uppercase;color:var(--muted);letter-spacing:.05em;margin:4px 0}
.tool-slot:has(.tool-result) .pending{display:none}
.tool-io pre{white-space:pre-wrap;overflow-wrap:anywhere}.tool-result.is-error pre{background:var(--errbg)}.tool-result.is-error>.label{color:var(--err)}
.images img{max-width:100%;max-height:420px;border-radius:6px;border:1px solid var(--line);margin:4px 4px 0 0}
.files{margin:10px 0}.file-change{border:1px solid var(--line);border-radius:6px;margin:6px 0}.file-change>summary{cursor:pointer;padding:4px 8px;font-size:13px;overflow-wrap:anywhere}
.note{font-size:13px;color:var(--muted);padding:0 8px}
pre.diff{margin:0;padding:6px 0;overflow:auto;max-height:480px;background:var(--code)}pre.diff span{display:block;padding:0 8px;white-space:pre}
.diff .add{background:var(--add)}.diff .del{background:var(--del)}.diff .hunk{color:var(--accent)}
.signin,.error-page{max-width:420px;margin:40px auto}.signin input{width:100%;font:inherit;padding:6px;margin:6px 0;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg)}
.signin button{font:inherit;padding:6px 14px}.error{color:var(--err)}
.hljs-keyword,.hljs-selector-tag,.hljs-built_in{color:var(--k1)}.hljs-string,.hljs-attr-value,.hljs-regexp{color:var(--k2)}
.hljs-number,.hljs-literal,.hljs-type{color:var(--k3)}.hljs-title,.hljs-function .hljs-title,.hljs-section{color:var(--k4)}
.hljs-attr,.hljs-variable,.hljs-template-variable,.hljs-tag,.hljs-name{color:var(--k5)}.hljs-comment,.hljs-quote{color:var(--muted);font-style:italic}
.hljs-meta,.hljs-symbol,.hljs-property{color:var(--k6)}.hljs-addition{background:var(--add)}.hljs-deletion{background:var(--del)}
`;
