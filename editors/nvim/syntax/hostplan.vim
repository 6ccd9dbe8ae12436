" Syntax highlighting for Hostplan plans (.hplan).
if exists("b:current_syntax")
  finish
endif

syntax keyword hostplanImport import as
syntax keyword hostplanExtends extends
syntax keyword hostplanBoolean true false
syntax match hostplanBlock /^\s*\zs\(plan\|population\|users\|role\|policy\|tls\|backup\|alerting\|environment\|couchdb\|secrets\|allow\|operator\|assumptions\|release\|layout\|service\|variable\|provider\|region\|instance\)\>\ze\s*[^=[:space:]]/
syntax match hostplanBlock /^\s*\zs\(plan\|population\|users\|role\|policy\|tls\|backup\|alerting\|environment\|couchdb\|secrets\|allow\|operator\|assumptions\|release\|layout\|service\|variable\|provider\|region\|instance\)\>\ze\s*$/
syntax match hostplanSecret /^\s*\zssecret\>/
syntax match hostplanField /\<[A-Za-z_][A-Za-z0-9_]*\>\ze\s*=/
syntax match hostplanCall /\<[A-Za-z_][A-Za-z0-9_]*\>\ze\s*(/
syntax match hostplanNumber /\<\d[0-9_]*\(\.\d[0-9_]*\)\=\>/
syntax match hostplanQuantity /\<\d[0-9_]*\(\.\d[0-9_]*\)\=\(KiB\|MiB\|GiB\|TiB\|KB\|MB\|GB\|TB\|B\|s\|m\|h\|d\|w\|y\)\>/ contains=hostplanUnit
syntax match hostplanQuantity /\<\d[0-9_]*\(\.\d[0-9_]*\)\=%/ contains=hostplanUnit
syntax match hostplanUnit /\a\+\|%/ contained
syntax match hostplanMoney /\$\d[0-9_]*\(\.\d[0-9_]*\)\=/
syntax match hostplanEscape /\\\(["\\nrt]\|u{\x\+}\)/ contained
syntax region hostplanString start=/"/ skip=/\\"/ end=/"\|$/ contains=hostplanEscape oneline
syntax match hostplanComment /#.*$/ contains=@Spell

highlight default link hostplanImport Include
highlight default link hostplanExtends Keyword
highlight default link hostplanBoolean Boolean
highlight default link hostplanBlock Structure
highlight default link hostplanSecret StorageClass
highlight default link hostplanField Identifier
highlight default link hostplanCall Function
highlight default link hostplanNumber Number
highlight default link hostplanQuantity Number
highlight default link hostplanUnit Type
highlight default link hostplanMoney Number
highlight default link hostplanEscape SpecialChar
highlight default link hostplanString String
highlight default link hostplanComment Comment

let b:current_syntax = "hostplan"
