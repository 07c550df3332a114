-- SegDICOM: forward stable studies of chosen modalities to the annotator.
--
-- Off by default: the development configuration (orthanc.json) does not load
-- it. To turn it on, add to Orthanc's configuration:
--
--   "LuaScripts": ["/path/to/orthanc/forward-stable.lua"],
--   "StableAge": 60,                      -- seconds without a new instance
--   "SegDicomForward": {
--     "Modality": "SEGDICOM",             -- a name in DicomModalities
--     "Modalities": ["CT", "MR"]          -- forward studies holding one of these
--   }
--
-- A study is "stable" when no instance has arrived for StableAge seconds
-- (Orthanc Book, "Lua scripting", OnStableStudy). The send is an Orthanc job
-- (POST /modalities/{name}/store, asynchronous), so it shows in /jobs and is
-- retried from there; the annotator keeps one copy of each SOP Instance UID,
-- so a study forwarded twice is harmless.

local function settings()
  local config = GetOrthancConfiguration()["SegDicomForward"] or {}
  local wanted = {}
  for _, modality in ipairs(config["Modalities"] or { "CT", "MR" }) do
    wanted[string.upper(modality)] = true
  end
  return config["Modality"] or "SEGDICOM", wanted
end

local function has_wanted_modality(studyId, wanted)
  local series = ParseJson(RestApiGet("/studies/" .. studyId .. "/series"))
  for _, s in ipairs(series) do
    local modality = s["MainDicomTags"]["Modality"]
    if modality ~= nil and wanted[string.upper(modality)] then
      return true
    end
  end
  return false
end

function OnStableStudy(studyId, tags, metadata)
  local target, wanted = settings()
  if not has_wanted_modality(studyId, wanted) then
    return
  end
  local body = DumpJson({ Resources = { studyId }, Asynchronous = true })
  RestApiPost("/modalities/" .. target .. "/store", body)
  print("SegDICOM: forwarding stable study " .. studyId .. " to " .. target)
end
